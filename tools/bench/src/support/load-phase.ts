import type { LoadJob, LoadSummary, ProbeJob, ProbeResult } from '../clients/messages.js';
import { aggregatorLag, blockNumbers, metricValue, settled, storedEvents, type BenchContext } from './bench-context.js';
import { ClientProcess } from './client-process.js';
import { cpuShares, cpuSnapshot, otherCpu, type CpuShares } from './proc-cpu.js';
import { memorySnapshot, peakMemory, type MemoryShares } from './proc-memory.js';
import { percentile, round1, sleep, slope } from './stats.js';

/**
 * One load level against the whole system: the load generator (tools/loadgen, open loop) in a
 * process of its own offers `rate` events/s to a fresh site; optionally a freshness probe runs
 * alongside. Meanwhile CPU per component, consumer lag and ClickHouse parts are sampled; after
 * the load, the backlog drains and the stored rows are counted against the accepted events.
 * A phase starts once the aggregator has caught up with what earlier phases left (a level that
 * failed can leave a backlog of minutes, which would otherwise share the next level's cores).
 */
export interface PhaseOptions {
  label: string;
  rate: number;
  batch: number;
  durationSeconds: number;
  malformedShare?: number;
  probe?: { everyMs: number; settleMs: number };
  /** How long the aggregator may take to catch up after the load before the run counts as not drained. */
  drainTimeoutMs: number;
  /** Requests the load generator keeps in flight at most; a due request beyond is dropped (default 512, the load generator's). */
  maxInFlight?: number;
  /** Called once the load runs (e.g. to start other measurements), awaited before the phase ends. */
  during?: () => Promise<void>;
}

export interface Freshness {
  probes: number;
  /** null: that percentile fell on a probe never seen within the settle time. */
  p50: number | null;
  p99: number | null;
  max: number | null;
  unseen: number;
  seenBeforeAck: number;
  countAhead: number;
  failed: Record<string, number>;
  ackP50: number;
}

export interface PhaseResult {
  label: string;
  site: string;
  rate: number;
  batch: number;
  durationSeconds: number;
  load: LoadSummary;
  /** Load generator CPU, % of one core over its run. */
  loadClientCpu: number;
  /** The machine's CPU used by none of the system's processes (Node, ClickHouse server, broker) nor the bench's clients: other work on the machine. */
  otherCpu: number;
  freshness: Freshness | undefined;
  cpu: CpuShares;
  /** The highest resident memory of each process of the system, sampled each second of the load (absent in reports of earlier versions). */
  memory?: MemoryShares;
  lag: { samples: { t: number; lag: number }[]; first: number; last: number; max: number; slopePerSecond: number };
  /** ClickHouse inserts: the aggregator's insert statements and the parts each table got, per second. */
  inserts: { statements: number; statementsPerSecond: number; partsPerSecondByTable: Record<string, number> };
  stored: { accepted: number; stored: number; drainedAfterMs: number | null };
}

export function freshnessOf(result: ProbeResult): Freshness {
  const sorted = [...result.freshnessMs].sort((a, b) => a - b);
  const all = [...sorted, ...Array.from({ length: result.unseen }, () => Number.POSITIVE_INFINITY)];
  const at = (p: number): number | null => {
    const v = percentile(all, p);
    return Number.isFinite(v) ? round1(v) : null;
  };
  const ack = [...result.ackMs].sort((a, b) => a - b);
  return {
    probes: result.acknowledged,
    p50: at(50),
    p99: at(99),
    max: result.unseen > 0 ? null : round1(sorted.at(-1) ?? 0),
    unseen: result.unseen,
    seenBeforeAck: result.seenBeforeAck,
    countAhead: result.countAhead,
    failed: result.failed,
    ackP50: round1(percentile(ack, 50)),
  };
}

/** How long a phase waits for the backlog of earlier ones before it starts anyway (and says so). */
const SETTLE_BEFORE_MS = 10 * 60_000;

export async function runPhase(ctx: BenchContext, options: PhaseOptions): Promise<PhaseResult> {
  await settled(ctx, ctx.quick ? 15_000 : SETTLE_BEFORE_MS);
  const site = await ctx.createSite('load');
  const probeSite = options.probe ? await ctx.createSite('probe') : undefined;
  // a new site is known to ingest within a second (a miss refreshes its cache at most once a second)
  await sleep(1100);
  const loadJob: LoadJob = {
    collectUrl: ctx.collectUrl,
    rate: options.rate,
    durationSeconds: options.durationSeconds,
    batch: options.batch,
    site: site.id,
    seed: ctx.nextSeed(),
    malformedShare: options.malformedShare ?? 0,
    maxInFlight: options.maxInFlight ?? 512,
  };
  const probe =
    options.probe && probeSite
      ? await ClientProcess.start<ProbeJob, { baseline: number }, ProbeResult>('freshness-probe', {
          collectUrl: ctx.collectUrl,
          gatewayUrl: ctx.system.gatewayUrl,
          site: probeSite.id,
          token: probeSite.token,
          everyMs: options.probe.everyMs,
          durationMs: options.durationSeconds * 1000,
          settleMs: options.probe.settleMs,
        })
      : undefined;
  const load = await ClientProcess.start<LoadJob, null, LoadSummary>('load-client', loadJob);
  try {
    const samples: { t: number; lag: number }[] = [];
    const blocks0 = await blockNumbers(ctx);
    const inserts0 = await metricValue(ctx.system.aggregatorUrl, 'clickstream_aggregator_insert_rows_count');
    const cpu0 = cpuSnapshot(ctx.pids);
    const started = performance.now();
    let sampling = true;
    let memory: MemoryShares | undefined;
    const sampler = (async () => {
      while (sampling) {
        const at = performance.now();
        memory = peakMemory(memory, memorySnapshot(ctx.pids));
        samples.push({ t: Math.round((at - started) / 100) / 10, lag: await aggregatorLag(ctx).catch(() => Number.NaN) });
        await sleep(Math.max(0, 1000 - (performance.now() - at)));
      }
    })();
    load.client.begin();
    probe?.client.begin();
    const during = options.during?.();
    const summary = await load.client.result();
    const cpu1 = cpuSnapshot(ctx.pids);
    const seconds = (performance.now() - started) / 1000;
    const inserts1 = await metricValue(ctx.system.aggregatorUrl, 'clickstream_aggregator_insert_rows_count');
    const blocks1 = await blockNumbers(ctx);
    sampling = false;
    await sampler;
    await during;
    const probeResult = probe ? await probe.client.result() : undefined;

    const drainStarted = performance.now();
    let drainedAfterMs: number | null = null;
    while (performance.now() - drainStarted < options.drainTimeoutMs) {
      if ((await aggregatorLag(ctx)) === 0) {
        drainedAfterMs = Math.round(performance.now() - drainStarted);
        break;
      }
      await sleep(200);
    }
    const stored = await storedEvents(ctx, site.id);

    const valid = samples.filter((s) => Number.isFinite(s.lag));
    // the slope of the lag over the last two thirds of the run: the first third is the pipeline filling
    const tail = valid.filter((s) => s.t >= options.durationSeconds / 3).map((s) => ({ x: s.t, y: s.lag }));
    const statements = inserts1 - inserts0;
    const cpu = cpuShares(cpu0, cpu1);
    const loadClientCpu = round1((summary.cpuMs / Math.max(1, summary.wallMs)) * 100);
    const probeClientCpu = probeResult ? (probeResult.cpuMs / Math.max(1, probeResult.wallMs)) * 100 : 0;
    return {
      label: options.label,
      site: site.id,
      rate: options.rate,
      batch: options.batch,
      durationSeconds: options.durationSeconds,
      load: summary,
      loadClientCpu,
      otherCpu: otherCpu(cpu, loadClientCpu + probeClientCpu),
      freshness: probeResult ? freshnessOf(probeResult) : undefined,
      cpu,
      ...(memory ? { memory } : {}),
      lag: {
        samples: valid,
        first: valid[0]?.lag ?? 0,
        last: valid.at(-1)?.lag ?? 0,
        max: valid.reduce((m, s) => Math.max(m, s.lag), 0),
        slopePerSecond: Math.round(slope(tail)),
      },
      inserts: {
        statements,
        statementsPerSecond: round1(statements / seconds),
        partsPerSecondByTable: Object.fromEntries(Object.entries(blocks1).map(([table, b]) => [table, round1((b - (blocks0[table] ?? 0)) / seconds)])),
      },
      stored: { accepted: summary.events.accepted, stored, drainedAfterMs },
    };
  } finally {
    load.client.close();
    probe?.client.close();
  }
}
