import { runLoad, type LoadReport } from '../../tools/loadgen/src/load-runner.js';

/**
 * The fault tests' traffic: single events at a steady rate from 2,000 visitors over 50 pages,
 * 5 % bots and 10 % custom events, retried like the tracker (same ids, backoff) for up to 4 min.
 */
export function steadyLoad(url: string, options: { rate: number; durationSeconds: number; sites: string[]; seed: number }): Promise<LoadReport> {
  return runLoad({
    url,
    rate: options.rate,
    durationSeconds: options.durationSeconds,
    batch: 1,
    sites: options.sites,
    visitors: 2000,
    pages: 50,
    botShare: 0.05,
    customEventShare: 0.1,
    malformedShare: 0,
    maxInFlight: 4000,
    seed: options.seed,
    retry: { giveUpAfterMs: 240_000 },
  });
}
