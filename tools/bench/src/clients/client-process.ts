import type { ChildMessage, ParentMessage } from './messages.js';

/**
 * The child side of a client process: waits for its job, sets up (`prepare`), reports ready,
 * runs on 'start' until done or told to 'stop', and sends its result. The parent owns timing.
 */
export function serveClient<Job, Ready, Result>(handlers: {
  prepare: (job: Job) => Promise<Ready>;
  run: (job: Job, stopped: Promise<void>) => Promise<Result>;
}): void {
  const send = (message: ChildMessage<Ready, Result>): void => {
    process.send?.(message);
  };
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  let job: Job | undefined;
  process.on('message', (message: ParentMessage<Job>) => {
    if (message.type === 'job') {
      job = message.job;
      handlers.prepare(job).then(
        (ready) => send({ type: 'ready', ready }),
        (err: Error) => send({ type: 'failed', error: err.message }),
      );
    } else if (message.type === 'start' && job !== undefined) {
      handlers.run(job, stopped).then(
        (result) => send({ type: 'result', result }),
        (err: Error) => send({ type: 'failed', error: err.message }),
      );
    } else if (message.type === 'stop') markStopped();
  });
  // the parent went away: nothing left to report to
  process.on('disconnect', () => process.exit(0));
}

/** CPU this process used since `from` (process.cpuUsage), in ms. */
export function cpuMsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return Math.round((used.user + used.system) / 1000);
}
