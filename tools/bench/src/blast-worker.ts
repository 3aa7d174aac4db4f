import { parentPort, workerData } from 'node:worker_threads';
import { Traffic } from '../../loadgen/src/traffic.js';
import { blast } from './http-blast.js';

export interface BlastJob {
  url: string;
  connections: number;
  durationMs: number;
  batch: number;
  seed: number;
  /** Share of malformed events mixed in (default none). */
  malformedShare?: number;
  countAccepted?: boolean;
}

/** Runs one closed-loop measurement on its own thread, so the client does not share the server's event loop. */
const job = workerData as BlastJob;
const traffic = new Traffic({ sites: ['demo'], visitors: 50_000, pages: 200, botShare: 0.05, customEventShare: 0.1, malformedShare: job.malformedShare ?? 0, seed: job.seed });
const requests = Array.from({ length: 4096 }, () => traffic.next(job.batch));
const result = await blast({
  url: job.url,
  countAccepted: job.countAccepted ?? false,
  connections: job.connections,
  durationMs: job.durationMs,
  body: (i) => {
    const r = requests[i % requests.length]!;
    return JSON.stringify(job.batch === 1 ? r.events[0]!.body : r.events.map((e) => e.body));
  },
  headers: (i) => {
    const r = requests[i % requests.length]!;
    return { 'User-Agent': r.userAgent, 'X-Forwarded-For': r.ip };
  },
});
parentPort!.postMessage(result);
