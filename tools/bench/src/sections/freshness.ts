import type { BenchContext } from '../support/bench-context.js';
import { goal, type Goal } from '../support/goals.js';
import { runPhase, type PhaseResult } from '../support/load-phase.js';

/**
 * (4) Freshness: from an event's 202 to a socket.io client (subscribed to its site with the
 * dashboard token) receiving the live update that counts it, while the load generator offers a
 * background load to another site: single events at 1,000 and 5,000 events/s, and 5,000 events/s
 * in batches of 20 too (single events at that rate may be beyond what the system accepts, which
 * would measure queueing rather than freshness). Probes are attributed exactly, see
 * clients/freshness-probe.ts.
 */

/** How a level is named in goals and tables. */
export const levelName = (rate: number, batch: number): string => `${rate} events/s${batch > 1 ? ` in batches of ${batch}` : ''}`;
export interface FreshnessResult {
  probeEveryMs: number;
  /** The settings that bound freshness from below. */
  settings: { publishIntervalMs: number; emitIntervalMs: number; flushRows: number; flushIntervalMs: number };
  levels: PhaseResult[];
  goals: Goal[];
}

export async function runFreshness(ctx: BenchContext): Promise<FreshnessResult> {
  const plan = ctx.quick
    ? [{ rate: 200, batch: 1 }, { rate: 500, batch: 1 }, { rate: 500, batch: 20 }]
    : [{ rate: 1000, batch: 1 }, { rate: 5000, batch: 1 }, { rate: 5000, batch: 20 }];
  const probeEveryMs = 100;
  const levels: PhaseResult[] = [];
  for (const { rate, batch } of plan) {
    const level = await runPhase(ctx, {
      label: `freshness at ${levelName(rate, batch)}`,
      rate,
      batch,
      durationSeconds: ctx.quick ? 2 : 30,
      probe: { everyMs: probeEveryMs, settleMs: ctx.quick ? 2000 : 10_000 },
      drainTimeoutMs: ctx.quick ? 15_000 : 60_000,
    });
    levels.push(level);
    ctx.log(`freshness at ${levelName(rate, batch)}: p50 ${level.freshness?.p50 ?? '-'} ms, p99 ${level.freshness?.p99 ?? '-'} ms over ${level.freshness?.probes ?? 0} probes (${level.load.achievedEventsPerSecond} events/s accepted)`);
  }
  const { stream, http } = ctx.system.config;
  return {
    probeEveryMs,
    settings: { publishIntervalMs: stream.publishIntervalMs, emitIntervalMs: http.liveEmitIntervalMs, flushRows: stream.flushRows, flushIntervalMs: stream.flushIntervalMs },
    levels,
    goals: levels.flatMap((l) => [
      goal(`freshness p50 at ${levelName(l.rate, l.batch)}`, l.freshness?.p50 ?? null, '<=', 300, 'ms'),
      goal(`freshness p99 at ${levelName(l.rate, l.batch)}`, l.freshness?.p99 ?? null, '<=', 1000, 'ms'),
    ]),
  };
}
