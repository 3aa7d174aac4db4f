import { runLoad } from '../../../loadgen/src/load-runner.js';
import { cpuMsSince, serveClient } from './client-process.js';
import type { LoadJob, LoadSummary } from './messages.js';

/** Runs the load generator (tools/loadgen) in a process of its own and reports its summary. */
serveClient<LoadJob, null, LoadSummary>({
  prepare: async () => null,
  run: async (job) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const { acceptedIds: _ids, ...report } = await runLoad({
      url: job.collectUrl,
      rate: job.rate,
      durationSeconds: job.durationSeconds,
      batch: job.batch,
      maxInFlight: job.maxInFlight,
      sites: [job.site],
      visitors: 20_000,
      pages: 200,
      botShare: 0.05,
      customEventShare: 0.1,
      malformedShare: job.malformedShare,
      seed: job.seed,
    });
    return { ...report, cpuMs: cpuMsSince(cpu), wallMs: Math.round(performance.now() - started) };
  },
});
