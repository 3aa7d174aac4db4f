import { createRequire } from 'node:module';

/** The parts of kafkajs's per-connection request queue (src/network/requestQueue) the fix touches. */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  scheduleCheckPendingRequests(): void;
}

interface RequestQueueClass {
  prototype: RequestQueueInternals;
  idleLoopStopped?: true;
}

/** What kafkajs 2.2.4's method computes first; a release that changed it needs its own look. */
const EXPECTED_SOURCE = 'this.throttledUntil - Date.now()';

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer on every connection's request queue each
 * time it checks for queued requests, even when none is queued, with a negative delay: Node
 * runs it after 1 ms, and the check arms it again (tulios/kafkajs#1556 and #1604; the fix in
 * #1667 was never merged). Every open connection therefore wakes its process about a thousand
 * times a second while idle (measured here: 946 wake-ups per second on each app's main thread).
 *
 * This replaces that method with one that arms the timer only when a request waits in the
 * queue: after a client-side throttle, when the throttle ends; otherwise after 10 ms, as
 * before. With nothing queued there is nothing to check: a request that cannot be sent at once
 * is queued by `push`, which schedules the check itself, and every answer re-checks the queue.
 * Returns whether the fix is in place (false when kafkajs's method is not the one it fixes).
 */
export function stopIdleRequestQueueLoop(): boolean {
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as RequestQueueClass;
  if (RequestQueue.idleLoopStopped) return true;
  if (!String(RequestQueue.prototype.scheduleCheckPendingRequests).includes(EXPECTED_SOURCE)) return false;
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        (this as unknown as { checkPendingRequests(): void }).checkPendingRequests();
      },
      throttledFor > 0 ? throttledFor : CHECK_PENDING_EVERY_MS,
    );
  };
  RequestQueue.idleLoopStopped = true;
  return true;
}

/** kafkajs's own interval for re-checking a queue that is full (too many requests in flight). */
const CHECK_PENDING_EVERY_MS = 10;
