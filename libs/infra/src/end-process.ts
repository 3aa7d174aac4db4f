import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Asks a child process to end (`ask`: a signal, or the end of its input), waits up to `graceMs`,
 * then kills it; resolves once it is gone. A child that already ended is left as it is.
 */
export async function endProcess(child: ChildProcess, exited: Promise<unknown>, ask: () => void, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  ask();
  // a ref'd timer keeps this process alive while the child shuts down (the child's own handle may not)
  const timeout = new AbortController();
  const done = await Promise.race([exited.then(() => true), sleep(graceMs, false, { signal: timeout.signal }).catch(() => false)]);
  timeout.abort();
  if (!done) child.kill('SIGKILL');
  await exited;
}
