import { writeFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector/promises';

/** Where the main thread spent its time while a measurement was repeated under the V8 sampling profiler. */
export interface ProfileSummary {
  /** Profiled wall time, milliseconds. */
  durationMs: number;
  /** Share of the profiled time the event loop was idle (waiting for I/O or timers). */
  idlePct: number;
  /** Functions with the most self time, in percent of the profiled time. */
  top: { fn: string; where: string; selfPct: number }[];
  /** Self time grouped by package or project folder, in percent of the profiled time. */
  byArea: { area: string; selfPct: number }[];
  /** The raw profile, for Chrome DevTools or speedscope. */
  file: string | undefined;
}

/** A project-relative or package name for a script URL. */
export function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(apps\/[^/]+|libs\/[^/]+|tools\/[^/]+)\//.exec(url);
  if (own) return own[1]!;
  return url;
}

function where(url: string, line: number): string {
  if (url === '') return '';
  const short = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '').replace(/^.*\/dist\//, '');
  return `${short}:${line + 1}`;
}

/** Self time per node of a V8 CPU profile, summarised by function and by area. */
export function summarizeProfile(profile: Profiler.Profile, topN = 12): Omit<ProfileSummary, 'file'> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // a sample lasts until the next one (as DevTools counts); the first delta is the profiler starting up
  let totalUs = 0;
  for (let i = 0; i + 1 < samples.length; i++) {
    const us = Math.max(0, deltas[i + 1] ?? 0);
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + us);
    totalUs += us;
  }
  totalUs = Math.max(1, totalUs);
  const byFn = new Map<string, { fn: string; where: string; us: number }>();
  const byArea = new Map<string, number>();
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    if (fn === '(idle)') idleUs += us;
    const key = `${fn}|${url}|${lineNumber}`;
    const entry = byFn.get(key) ?? { fn, where: where(url, lineNumber), us: 0 };
    entry.us += us;
    byFn.set(key, entry);
    const area = areaOf(url, fn);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const pct = (us: number): number => Math.round((us / totalUs) * 1000) / 10;
  return {
    durationMs: Math.round(totalUs / 1000),
    idlePct: pct(idleUs),
    top: [...byFn.values()]
      .filter((f) => f.fn !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ fn: f.fn, where: f.where, selfPct: pct(f.us) })),
    byArea: [...byArea.entries()]
      .filter(([area]) => area !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([area, us]) => ({ area, selfPct: pct(us) })),
  };
}

/**
 * Runs `work` under the V8 sampling profiler of this (main) thread and summarises the profile;
 * the raw profile goes to `file` when given. Kept apart from the measured runs: sampling costs a
 * few percent of throughput, so profiled repeats explain a figure but never produce one.
 */
export async function profiled<T>(work: () => Promise<T>, file?: string): Promise<{ result: T; profile: ProfileSummary }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const outcome = await work().then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { profile } = await session.post('Profiler.stop');
    if (!outcome.ok) throw outcome.error;
    const result = outcome.value;
    if (file) writeFileSync(file, JSON.stringify(profile));
    return { result, profile: { ...summarizeProfile(profile), file } };
  } finally {
    session.disconnect();
  }
}
