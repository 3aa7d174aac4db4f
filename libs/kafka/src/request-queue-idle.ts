import { createRequire } from 'node:module';

/** The parts of kafkajs's per-connection request queue (src/network/requestQueue) the fix touches. */
interface RequestQueueInternals {
  pending: unknown[];
  inflight: Map<number, InFlightRequest>;
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  enforceRequestTimeout: boolean;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  isConnected(): boolean;
  destroy(): void;
}

interface InFlightRequest {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface RequestQueueClass {
  prototype: RequestQueueInternals;
  idleLoopStopped?: true;
}

/** What kafkajs 2.2.4's methods contain; a release that changed them needs its own look. */
const EXPECTED_SOURCE = 'this.throttledUntil - Date.now()';
const EXPECTED_TIMEOUT_SOURCE = 'Math.min(this.requestTimeout, 100)';

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
  const queue = RequestQueue.prototype;
  if (!String(queue.scheduleCheckPendingRequests).includes(EXPECTED_SOURCE)) return false;
  if (!String(queue.scheduleRequestTimeoutCheck).includes(EXPECTED_TIMEOUT_SOURCE)) return false;
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
  queue.scheduleRequestTimeoutCheck = function scheduleRequestTimeoutCheck(this: RequestQueueInternals): void {
    if (!this.enforceRequestTimeout) return;
    this.destroy();
    timeoutSweep.watch(this);
  };
  const destroy = queue.destroy;
  queue.destroy = function destroyWatched(this: RequestQueueInternals): void {
    timeoutSweep.unwatch(this);
    destroy.call(this);
  };
  RequestQueue.idleLoopStopped = true;
  return true;
}

/**
 * kafkajs gives every connection an interval of its own (100 ms) that times out its overdue
 * requests: with a producer, consumers and admin clients each holding connections, an idle app
 * woke about a hundred times a second at scattered moments (measured with strace on an idle
 * ingest process: 275 wake-ups per second). One interval per process does the same check for
 * every connection, and runs only while a connection is open; a request times out at most
 * TIMEOUT_SWEEP_MS after its requestTimeout (30 s by default) instead of 100 ms after.
 */
const TIMEOUT_SWEEP_MS = 250;

const timeoutSweep = {
  queues: new Set<RequestQueueInternals>(),
  timer: undefined as ReturnType<typeof setInterval> | undefined,
  watch(queue: RequestQueueInternals): void {
    this.queues.add(queue);
    this.timer ??= setInterval(() => this.sweep(), TIMEOUT_SWEEP_MS);
  },
  unwatch(queue: RequestQueueInternals): void {
    this.queues.delete(queue);
    if (this.queues.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  },
  /** kafkajs's own check, for every watched connection. */
  sweep(): void {
    const now = Date.now();
    for (const queue of [...this.queues]) {
      queue.inflight.forEach((request) => {
        if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      });
      if (!queue.isConnected()) queue.destroy();
    }
  },
};

/** kafkajs's own interval for re-checking a queue that is full (too many requests in flight). */
const CHECK_PENDING_EVERY_MS = 10;
