import { Worker } from 'node:worker_threads';
import type { BlastJob } from '../blast-worker.js';
import type { BlastResult } from '../http-blast.js';

/** Runs one closed-loop HTTP measurement on a worker thread (the client never shares the server's event loop). */
export function runBlast(job: BlastJob): Promise<BlastResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../blast-worker.js', import.meta.url), { workerData: job });
    worker.once('message', (r: BlastResult) => resolve(r));
    worker.once('error', reject);
  });
}
