import type { BenchContext } from '../support/bench-context.js';
import { runPhase, type PhaseResult } from '../support/load-phase.js';
import type { CpuShares } from '../support/proc-cpu.js';

/**
 * (8) Capacity: the highest rate the whole system sustains, for single events and batches of
 * 20. A rate is sustained when every scheduled request was sent and answered 202, the
 * aggregator's consumer lag stayed flat (its slope over the last two thirds of the run under 5%
 * of the rate, and never more than 5 s of traffic behind), the backlog drained after the load, and the stored rows equal the accepted
 * events. Search: rising rates with short probes (x1.5 until one fails, then once in between),
 * then a long confirmation at the best; if that fails, one more confirmation 15% lower.
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

export interface CapacityResult {
  probeSeconds: number;
  confirmSeconds: number;
  modes: CapacityMode[];
}

/** A backlog longer than this many seconds of traffic means the aggregator fell behind. */
const MAX_BACKLOG_SECONDS = 5;

export function verdict(phase: PhaseResult): string[] {
  const reasons: string[] = [];
  const { load } = phase;
  const scheduled = Math.round((phase.rate / phase.batch) * phase.durationSeconds);
  if (load.requests.dropped > 0) reasons.push(`${load.requests.dropped} requests dropped at the client's in-flight cap`);
  if (load.requests.sent < scheduled * 0.98) reasons.push(`the load generator sent ${load.requests.sent} of ${scheduled} requests`);
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

/** Names what limits: the main thread's one core, all the machine's cores, or neither (then the reasons say what). */
export function bottleneckOf(cpu: CpuShares, loadClientCpu: number): string {
  const parts = `Node main thread ${cpu.nodeMain}% of a core, ClickHouse threads ${cpu.clickhouse}%, Node helpers ${cpu.nodeHelpers}%, Kafka JVM ${cpu.kafka ?? 'n/a'}%, load generator ${loadClientCpu}%, machine ${cpu.machine}% of ${cpu.cores * 100}%`;
  if (cpu.nodeMain >= 85) return `the Node main thread (ingest, aggregator and gateway JavaScript on one event loop) is saturated: ${parts}`;
  if (cpu.machine >= cpu.cores * 100 * 0.9) return `the machine's ${cpu.cores} cores are all busy: ${parts}`;
  return `no CPU ceiling reached (${parts}): the limit is latency-bound, see the reasons`;
}

export async function runCapacity(ctx: BenchContext): Promise<CapacityResult> {
  const probeSeconds = ctx.quick ? 2 : 12;
  const confirmSeconds = ctx.quick ? 2 : 120;
  const maxSteps = ctx.quick ? 1 : 6;
  const factor = ctx.quick ? 2 : 1.5;
  const modes: CapacityMode[] = [];
  for (const batch of [1, 20]) {
    const step = async (rate: number, seconds: number, label: string): Promise<CapacityStep> => {
      const phase = await runPhase(ctx, {
        label,
        rate,
        batch,
        durationSeconds: seconds,
        probe: { everyMs: 200, settleMs: ctx.quick ? 1500 : 5000 },
        drainTimeoutMs: ctx.quick ? 10_000 : 30_000,
      });
      const reasons = verdict(phase);
      ctx.log(`capacity, batch ${batch}, ${label} ${rate}/s: ${reasons.length === 0 ? 'sustained' : reasons.join('; ')} (main thread ${phase.cpu.nodeMain}%, machine ${phase.cpu.machine}%)`);
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
      for (const candidate of ctx.quick ? [best] : [best, Math.round((best * 0.85) / 50) * 50]) {
        const c = await step(candidate, confirmSeconds, 'confirmation');
        confirmations.push(c);
        if (c.passed) {
          sustained = candidate;
          break;
        }
      }
    }
    // the lowest failing level above the best one shows what gives out first
    const all = [...steps, ...confirmations];
    const failing = all.filter((s) => !s.passed && (best === undefined || s.rate >= best)).sort((a, b) => a.rate - b.rate);
    const limiting = failing[0] ?? all.at(-1)!;
    modes.push({ batch, steps, confirmations, sustained, bottleneck: bottleneckOf(limiting.cpu, limiting.loadClientCpu) });
  }
  return { probeSeconds, confirmSeconds, modes };
}
