import 'reflect-metadata';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';
import { renderCharts } from './render/charts.js';
import { embedReport, extractReport } from './render/embedded-report.js';
import { BASELINE_FILE, type Baseline } from './render/before-after.js';
import { CHART_FILES, duration, renderMarkdown } from './render/markdown.js';
import { SECTIONS, type BenchReport, type ReportSections, type SectionName, type SectionResults } from './report.js';
import { runAggregator } from './sections/aggregator.js';
import { runCapacity } from './sections/capacity.js';
import { runClickHouse } from './sections/clickhouse.js';
import { runCost } from './sections/cost.js';
import { runFreshness } from './sections/freshness.js';
import { runGateway } from './sections/gateway.js';
import { runIdle } from './sections/idle.js';
import { runIngest } from './sections/ingest.js';
import { runMalformed } from './sections/malformed.js';
import { runProducer } from './sections/producer.js';
import { runTracker } from './sections/tracker.js';
import { warmUp } from './support/warm-up.js';
import { benchContext, startBenchSystem, type BenchContext, type BenchSystem } from './support/bench-context.js';
import type { Goal } from './support/goals.js';

export type { BenchReport } from './report.js';

const USAGE = `usage: npm run bench -- [options]

  Measures Clickstream against baselines run in the same invocation and writes BENCHMARKS.md
  (with docs/bench-*.svg) and a JSON report.

  --quick            tiny durations, for the CI smoke test; leaves BENCHMARKS.md and docs/ alone
                     and writes the page and charts next to the JSON report instead
  --only <a,b>       run only these sections (${SECTIONS.join(', ')});
                     BENCHMARKS.md keeps the other sections' earlier figures
  --no-profile       skip the profiled repeats that explain missed goals
  --out <file>       JSON report (default test-results/bench.json, or bench-quick.json)
  --render           measure nothing: render BENCHMARKS.md and the charts again from the
                     report embedded in BENCHMARKS.md (after a change to the page's text)
`;

const RUNNERS: { [K in SectionName]: (ctx: BenchContext) => Promise<SectionResults[K]> } = {
  idle: runIdle,
  ingest: runIngest,
  tracker: () => runTracker(),
  producer: runProducer,
  aggregator: runAggregator,
  freshness: runFreshness,
  gateway: runGateway,
  malformed: runMalformed,
  capacity: runCapacity,
  cost: runCost,
  clickhouse: runClickHouse,
};

function parseSections(only: string | undefined): SectionName[] {
  if (only === undefined) return [...SECTIONS];
  const names = only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0 || names.length === 0) throw new RangeError(`--only: expected section names from ${SECTIONS.join(', ')}; got "${only}"`);
  return SECTIONS.filter((s) => names.includes(s));
}

async function runSection<K extends SectionName>(name: K, ctx: BenchContext, sections: ReportSections, command: string): Promise<void> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const result = await RUNNERS[name](ctx);
  const run = { command, startedAt, durationMs: Math.round(performance.now() - started), quick: ctx.quick, cores: cpus().length };
  (sections as Record<SectionName, unknown>)[name] = { ...result, run };
  ctx.log(`${name} done in ${duration(run.durationMs)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' }, 'no-profile': { type: 'boolean' }, render: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.render) return renderAgain(projectRoot());
  const quick = values.quick === true;
  const selected = parseSections(values.only);
  const command = ['npm run bench', ...(quick || values.only ? ['--'] : []), ...(quick ? ['--quick'] : []), ...(values.only ? ['--only', selected.join(',')] : [])].join(' ');
  const root = projectRoot();
  const out = values.out ?? join(root, 'test-results', quick ? 'bench-quick.json' : 'bench.json');
  mkdirSync(dirname(out), { recursive: true });
  const started = performance.now();
  const report: BenchReport = {
    command,
    date: new Date().toISOString(),
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    quick,
    ran: selected,
    durationMs: 0,
    sections: {},
    failures: [],
  };

  const dir = mkdtempSync(join(tmpdir(), 'clickstream-bench-'));
  const logger = createLogger('warn', 'bench');
  let bench: BenchSystem | undefined;
  let ctx: BenchContext | undefined;
  try {
    bench = await startBenchSystem(dir, logger);
    ctx = benchContext({ quick, profile: values['no-profile'] !== true, system: bench.system, pids: bench.pids, logger, outDir: dirname(out) });
    ctx.log(`system up (${bench.describe}); sections: ${selected.join(', ')}`);
    let warm = false;
    for (const name of selected) {
      try {
        // the system at rest is measured as it starts; every other section on a warmed-up system
        if (name !== 'idle' && !warm) {
          warm = true;
          await warmUp(ctx);
        }
        await runSection(name, ctx, report.sections, command);
      } catch (err) {
        const error = (err as Error).message.split('\n')[0] ?? 'failed';
        report.failures.push({ section: name, error });
        ctx.log(`${name} FAILED: ${(err as Error).stack ?? error}`);
      }
    }
  } finally {
    await ctx?.lag.close().catch(() => undefined);
    await bench?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  report.durationMs = Math.round(performance.now() - started);
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  // the page shows this run's sections and, for the others, the figures of the run that last measured them
  const page = quick ? out.replace(/\.json$/, '') + '.md' : join(root, 'BENCHMARKS.md');
  const previous = !quick && existsSync(page) ? extractReport(readFileSync(page, 'utf8')) : undefined;
  const merged: BenchReport = { ...report, sections: { ...(previous?.sections ?? {}), ...report.sections } };
  writePage(merged, page, quick ? dirname(out) : undefined, root);

  const goals = Object.values(report.sections).flatMap((s) => (s as { goals?: Goal[] }).goals ?? []);
  process.stdout.write(
    `${JSON.stringify({ out, page, took: duration(report.durationMs), failures: report.failures, goals: goals.map((g) => ({ name: g.name, value: g.value, met: g.met })) })}\n`,
  );
  return report.failures.length > 0 ? 1 : 0;
}

/** Writes the page and its charts: beside the page in docs/, or into `chartDir` (quick runs). */
function writePage(report: BenchReport, page: string, chartDir: string | undefined, root: string): void {
  const charts = renderCharts(report);
  const chartPaths = chartDir
    ? { throughput: join(chartDir, basename(CHART_FILES.throughput)), latency: join(chartDir, basename(CHART_FILES.latency)) }
    : { throughput: join(root, CHART_FILES.throughput), latency: join(root, CHART_FILES.latency) };
  mkdirSync(dirname(chartPaths.throughput), { recursive: true });
  writeFileSync(chartPaths.throughput, charts.throughput);
  writeFileSync(chartPaths.latency, charts.latency);
  const baselinePath = join(root, BASELINE_FILE);
  const baseline = !chartDir && existsSync(baselinePath) ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as Baseline) : undefined;
  writeFileSync(page, embedReport(renderMarkdown(report, true, baseline), report));
}

function renderAgain(root: string): number {
  const page = join(root, 'BENCHMARKS.md');
  const report = existsSync(page) ? extractReport(readFileSync(page, 'utf8')) : undefined;
  if (!report) {
    process.stderr.write(`--render: no report embedded in ${page}; run npm run bench first\n`);
    return 1;
  }
  writePage(report, page, undefined, root);
  process.stdout.write(`${JSON.stringify({ page, rendered: Object.keys(report.sections) })}\n`);
  return 0;
}

process.exitCode = await main();
