import { startBareCollectServer } from '../bare-collect-server.js';
import { settled, type BenchContext } from '../support/bench-context.js';
import { runBlast } from '../support/blast.js';
import { batchName, goal, type Goal } from '../support/goals.js';
import { runPhase, type PhaseResult } from '../support/load-phase.js';
import { cpuParts } from '../support/proc-cpu.js';

/**
 * (8) Capacity: the highest rate the whole system sustains, for single events and batches of
 * 20. A rate is sustained when every scheduled request was sent and answered 202, the
 * aggregator's consumer lag stayed flat (its slope over the last two thirds of the run under 5%
 * of the rate, and never more than 5 s of traffic behind), the backlog drained after the load,
 * and the stored rows equal the accepted events. The load generator may keep 4,096 requests in
 * flight, so a hiccup of a second does not count as dropped traffic.
 * Search: rising rates with short probes (x1.5 until one fails, then once in between), then a
 * long confirmation at the best; if that fails, 20% and 40% lower (time permitting). A short
 * probe also fails when its acknowledgements after the warm-up (the first 2 s, while the client
 * opens its connections) take over 2 s at p99: a queue that shows in 12 s
 * outgrows the lag criteria over minutes, so such a level is not worth a confirmation.
 * A freshness probe runs alongside each level, for the latency-per-level chart.
 */
export interface CapacityStep extends PhaseResult {
  passed: boolean;
  reasons: string[];
}

export interface CapacityMode {
  batch: number;
  steps: CapacityStep[];
  confirmations: CapacityStep[];
  /** The confirmed rate, or null when no confirmation passed. */
  sustained: number | null;
  /** The component that limits, from the CPU at the first failing level. */
  bottleneck: string;
}

/** The bare node:http collect server (section 1's baseline) measured in the same run, 64 connections in a closed loop. */
export interface BareBaseline {
  batch: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
}

export interface CapacityResult {
  probeSeconds: number;
  confirmSeconds: number;
  /** Absent in reports of earlier versions, whose goals were absolute rates. */
  bare?: BareBaseline[];
  modes: CapacityMode[];
  goals: Goal[];
}

/** The goals: events/s the whole system sustains, as a ratio of the bare server's events/s in the same run, by events per request. */
export const CAPACITY_RATIO_GOALS: Readonly<Record<number, number>> = { 1: 0.5, 20: 0.4 };
/** The goals of earlier reports (no bare baseline in the section): absolute events/s. */
const ABSOLUTE_GOALS: Readonly<Record<number, number>> = { 1: 15_000, 20: 30_000 };

export function capacityGoals(modes: readonly CapacityMode[], bare: readonly BareBaseline[] | undefined): Goal[] {
  return modes.flatMap((m) => {
    const name = `capacity, ${batchName(m.batch)}`;
    if (bare === undefined) {
      const target = ABSOLUTE_GOALS[m.batch];
      return target === undefined ? [] : [goal(name, m.sustained, '>=', target, 'events/s')];
    }
    const target = CAPACITY_RATIO_GOALS[m.batch];
    const base = bare.find((b) => b.batch === m.batch);
    if (target === undefined || base === undefined) return [];
    const value = m.sustained === null ? null : Math.round((m.sustained / base.eventsPerSecond) * 100) / 100;
    const held = heldStep(m);
    const memory = held?.memory;
    return [
      goal(`${name}, sustained vs the bare server's events/s`, value, '>=', target, 'x'),
      goal(`freshness p50 at the capacity level, ${batchName(m.batch)}`, held?.freshness?.p50 ?? null, '<=', 200, 'ms'),
      goal(`freshness p99 at the capacity level, ${batchName(m.batch)}`, held?.freshness?.p99 ?? null, '<=', 500, 'ms'),
      ...(memory ? [goal(`resident memory of the system at the capacity level, ${batchName(m.batch)}`, memory.total, '<=', CAPACITY_MEMORY_GOAL_MB, 'MB')] : []),
    ];
  });
}

/** Every process of the system together (apps, broker, ClickHouse server), resident, at the capacity level. */
export const CAPACITY_MEMORY_GOAL_MB = 2500;

/** The level a mode's figures come from: its confirmed rate, else its best passing probe. */
export function heldStep(mode: Pick<CapacityMode, 'steps' | 'confirmations' | 'sustained'>): CapacityStep | undefined {
  return [...mode.steps, ...mode.confirmations]
    .filter((s) => s.passed && (mode.sustained === null || s.rate === mode.sustained))
    .sort((a, b) => b.rate - a.rate || b.durationSeconds - a.durationSeconds)[0];
}

/** A backlog longer than this many seconds of traffic means the aggregator fell behind. */
const MAX_BACKLOG_SECONDS = 5;
/** Short probes only: acknowledgements slower than this at p99 mean requests queue up. */
const PROBE_MAX_ACK_P99_MS = 2000;
const MAX_IN_FLIGHT = 4096;
/** Full runs only: no further confirmation once the section has taken this long. */
const BUDGET_MS = 10 * 60_000;
/** Confirmations try the best probe's rate, then these fractions of it, until one holds. */
const CONFIRM_AT = [1, 0.8, 0.6];

export function verdict(phase: PhaseResult): string[] {
  const reasons: string[] = [];
  const { load } = phase;
  const scheduled = Math.round((phase.rate / phase.batch) * phase.durationSeconds);
  if (load.requests.dropped > 0) reasons.push(`${load.requests.dropped} requests dropped at the client's in-flight cap`);
  if (load.requests.sent + load.requests.dropped < scheduled * 0.98) reasons.push(`the load generator sent ${load.requests.sent} of ${scheduled} requests`);
  const refused = Object.entries(load.byStatus).filter(([status]) => status !== '202');
  if (refused.length > 0) reasons.push(`answers other than 202: ${refused.map(([s, n]) => `${s} x${n}`).join(', ')}`);
  // the lag is a sawtooth (commits follow inserts, about one a second): only a trend or a backlog of seconds counts
  const limit = Math.max(100, 0.05 * phase.rate);
  if (phase.lag.slopePerSecond > limit) reasons.push(`consumer lag grew ${phase.lag.slopePerSecond} events/s (limit ${Math.round(limit)})`);
  if (phase.lag.max > phase.rate * MAX_BACKLOG_SECONDS) reasons.push(`consumer lag reached ${phase.lag.max} events, over ${MAX_BACKLOG_SECONDS} s of traffic`);
  if (phase.stored.drainedAfterMs === null) reasons.push('the backlog did not drain after the load');
  if (phase.stored.stored !== phase.stored.accepted) reasons.push(`stored ${phase.stored.stored} of ${phase.stored.accepted} accepted events`);
  return reasons;
}

/**
 * Names what limits: the component nearest its ceiling at the highest sustained level (the
 * main thread's ceiling is one core, everything else shares the machine's cores), and which
 * stage gave out at the next level: ingest (acknowledgements queued) or the aggregator (lag).
 */
export function bottleneckOf(sustained: CapacityStep | undefined, over: CapacityStep | undefined): string {
  const parts: string[] = [];
  if (sustained) {
    const c = sustained.cpu;
    const ceiling = c.cores * 100;
    const [first, second] = [
      ...cpuParts(c).map((p) => ({ name: p.name, use: p.share / p.ceiling, text: `${p.share}% of ${p.ceiling}%` })),
      { name: `the machine's ${c.cores} cores`, use: c.machine / ceiling, text: `${c.machine}% of ${ceiling}%` },
    ].sort((a, b) => b.use - a.use);
    parts.push(
      `at ${sustained.rate} events/s, the highest level sustained, the nearest to its ceiling is ${first!.name}: ${first!.text} (next: ${second!.name}, ${second!.text}); ` +
        `${cpuParts(c).map((p) => `${p.label} ${p.share}%`).join(', ')}, load generator ${sustained.loadClientCpu}%, other processes ${sustained.otherCpu}%`,
    );
  }
  if (over) {
    const acks = over.reasons.some((r) => /dropped|acknowledgement|answers other|sent \d/.test(r));
    const lag = over.reasons.some((r) => /consumer lag|drain|stored/.test(r));
    const who = [acks ? 'ingest fell behind (acknowledgements queued)' : '', lag ? 'the aggregator fell behind (its consumer lag grew)' : ''].filter(Boolean).join(' and ') || 'it failed';
    parts.push(`at ${over.rate} events/s ${who}, with ${cpuParts(over.cpu).map((p) => `${p.label} ${p.share}%`).join(', ')} and the machine at ${over.cpu.machine}%`);
  }
  const noisiest = Math.max(sustained?.otherCpu ?? 0, over?.otherCpu ?? 0);
  if (noisiest >= 30) parts.push(`other work on the machine took up to ${noisiest}% of a core meanwhile, so a quiet machine does better`);
  return parts.length > 0 ? parts.join('; ') : 'no level was measured';
}


export async function runCapacity(ctx: BenchContext): Promise<CapacityResult> {
  const probeSeconds = ctx.quick ? 2 : 12;
  const confirmSeconds = ctx.quick ? 2 : 120;
  const maxSteps = ctx.quick ? 1 : 6;
  const factor = ctx.quick ? 2 : 1.5;
  const modes: CapacityMode[] = [];
  const started = performance.now();
  const bare = await bareBaselines(ctx);
  for (const batch of [1, 20]) {
    const step = async (rate: number, seconds: number, label: 'probe' | 'confirmation'): Promise<CapacityStep> => {
      const phase = await runPhase(ctx, {
        label,
        rate,
        batch,
        durationSeconds: seconds,
        probe: { everyMs: 200, settleMs: ctx.quick ? 1500 : 5000 },
        drainTimeoutMs: ctx.quick ? 10_000 : 60_000,
        maxInFlight: MAX_IN_FLIGHT,
      });
      const reasons = verdict(phase);
      // after the load generator's warm-up: a fresh client opening hundreds of connections at once is not the level's steady state
      const ackP99 = phase.load.steadyLatencyMs.p99;
      if (label === 'probe' && ackP99 > PROBE_MAX_ACK_P99_MS) reasons.push(`acknowledgement p99 ${ackP99} ms after the warm-up, over ${PROBE_MAX_ACK_P99_MS} ms (a probe criterion)`);
      ctx.log(`capacity, batch ${batch}, ${label} ${rate}/s: ${reasons.length === 0 ? 'sustained' : reasons.join('; ')} (${cpuParts(phase.cpu).map((p) => `${p.label} ${p.share}%`).join(', ')}, machine ${phase.cpu.machine}%)`);
      return { ...phase, passed: reasons.length === 0, reasons };
    };
    const steps: CapacityStep[] = [];
    let rate = ctx.quick ? (batch === 1 ? 200 : 400) : batch === 1 ? 1000 : 2500;
    let best: number | undefined;
    let worst: number | undefined;
    while (steps.length < maxSteps) {
      const s = await step(rate, probeSeconds, 'probe');
      steps.push(s);
      if (s.passed) {
        best = rate;
        if (worst !== undefined) break;
        rate = Math.round((rate * factor) / 50) * 50;
      } else {
        worst = rate;
        if (best !== undefined) break;
        rate = Math.max(50, Math.round(rate / 2 / 50) * 50);
      }
    }
    if (!ctx.quick && best !== undefined && worst !== undefined) {
      const mid = Math.round(Math.sqrt(best * worst) / 50) * 50;
      if (mid > best && mid < worst) {
        const s = await step(mid, probeSeconds, 'probe');
        steps.push(s);
        if (s.passed) best = mid;
        else worst = mid;
      }
    }
    const confirmations: CapacityStep[] = [];
    let sustained: number | null = null;
    if (best !== undefined) {
      for (const candidate of ctx.quick ? [best] : CONFIRM_AT.map((f) => Math.round((best! * f) / 50) * 50)) {
        if (confirmations.length > 0 && performance.now() - started > BUDGET_MS) break;
        const c = await step(candidate, confirmSeconds, 'confirmation');
        confirmations.push(c);
        if (c.passed) {
          sustained = candidate;
          break;
        }
      }
    }
    // the highest level that held (confirmed, else the best probe) and the lowest failing one above it
    const all = [...steps, ...confirmations];
    const held = heldStep({ steps, confirmations, sustained });
    const over = all.filter((s) => !s.passed && s.rate > (held?.rate ?? 0)).sort((a, b) => a.rate - b.rate)[0];
    modes.push({ batch, steps, confirmations, sustained, bottleneck: bottleneckOf(held, over) });
  }
  return { probeSeconds, confirmSeconds, bare, modes, goals: capacityGoals(modes, bare) };
}

/** Section 1's baseline, measured again here so the capacity ratios come from one run: the bare server, single events and batches of 20. */
async function bareBaselines(ctx: BenchContext): Promise<BareBaseline[]> {
  const server = await startBareCollectServer();
  try {
    const baselines: BareBaseline[] = [];
    for (const batch of [1, 20]) {
      await settled(ctx);
      const r = await runBlast({ connections: 64, durationMs: ctx.quick ? 1000 : 15_000, batch, seed: batch, url: server.url });
      baselines.push({ batch, requestsPerSecond: r.requestsPerSecond, eventsPerSecond: r.requestsPerSecond * batch });
      ctx.log(`capacity: the bare server takes ${r.requestsPerSecond * batch} events/s in ${batchName(batch)}`);
    }
    return baselines;
  } finally {
    await server.close();
  }
}
