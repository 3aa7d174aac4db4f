import type { LoadJob, LoadSummary } from '../clients/messages.js';
import { settled, type BenchContext } from './bench-context.js';
import { ClientProcess } from './client-process.js';
import { sleep } from './stats.js';

/**
 * Load the system once before the first measured section, unreported: the broker's JVM and
 * the Node apps compile their hot paths during the first tens of seconds of traffic, and a
 * section measured cold pays for that compilation (seen here: the broker at 33% of a core for
 * 600 single events/s cold against 13% warm). Single events, then batches, each on a site of
 * its own, then until the aggregator has caught up.
 */
export const WARM_UP: readonly { batch: number; rate: number; seconds: number }[] = [
  { batch: 1, rate: 500, seconds: 20 },
  { batch: 20, rate: 2000, seconds: 10 },
];

export async function warmUp(ctx: BenchContext): Promise<void> {
  const started = performance.now();
  for (const { batch, rate, seconds } of WARM_UP) {
    const site = await ctx.createSite('warm-up');
    // a new site is known to ingest within a second (a miss refreshes its cache at most once a second)
    await sleep(1100);
    const job: LoadJob = {
      collectUrl: ctx.collectUrl,
      rate: ctx.quick ? Math.round(rate / 10) : rate,
      durationSeconds: ctx.quick ? 1 : seconds,
      batch,
      site: site.id,
      seed: ctx.nextSeed(),
      malformedShare: 0,
      maxInFlight: 4096,
    };
    const load = await ClientProcess.start<LoadJob, null, LoadSummary>('load-client', job);
    try {
      load.client.begin();
      await load.client.result();
    } finally {
      load.client.close();
    }
  }
  await settled(ctx);
  ctx.log(`warmed up in ${Math.round((performance.now() - started) / 1000)} s`);
}
