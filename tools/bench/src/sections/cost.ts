import type { BenchContext } from '../support/bench-context.js';
import { runPhase, type PhaseResult } from '../support/load-phase.js';

/**
 * (9) Cost per event: the system at fixed rates well below its capacity (single events, and
 * batches of 20), each for a minute with a freshness probe alongside, and the CPU each part
 * spends per event. Unlike the capacity search, whose verdict turns on thresholds, a fixed
 * rate gives the same work to compare between two versions measured one after the other.
 */
export interface CostResult {
  levels: PhaseResult[];
}

export const COST_LEVELS: readonly { batch: number; rate: number }[] = [
  { batch: 1, rate: 600 },
  { batch: 20, rate: 3000 },
];

export async function runCost(ctx: BenchContext): Promise<CostResult> {
  const levels: PhaseResult[] = [];
  for (const { batch, rate } of COST_LEVELS) {
    const level = await runPhase(ctx, {
      label: `cost at ${rate} events/s${batch > 1 ? ` in batches of ${batch}` : ''}`,
      rate: ctx.quick ? Math.round(rate / 5) : rate,
      batch,
      durationSeconds: ctx.quick ? 2 : 60,
      probe: { everyMs: 200, settleMs: ctx.quick ? 1500 : 5000 },
      drainTimeoutMs: ctx.quick ? 15_000 : 60_000,
      maxInFlight: 4096,
    });
    levels.push(level);
    ctx.log(`cost at ${level.rate} events/s, batch ${batch}: machine ${level.cpu.machine}%, ${level.load.achievedEventsPerSecond} events/s accepted`);
  }
  return { levels };
}
