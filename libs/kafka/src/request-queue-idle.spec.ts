import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stopIdleRequestQueueLoop } from './request-queue-idle.js';

interface Queue {
  push(request: { entry: Entry; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
  maybeThrottle(ms: number): void;
  destroy(): void;
  checkPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  pending: unknown[];
}
interface Entry {
  correlationId: number;
  resolve: () => void;
  reject: (err: Error) => void;
}
const entry = (correlationId: number): Entry => ({ correlationId, resolve: () => undefined, reject: () => undefined });
type QueueClass = { new (options: Record<string, unknown>): Queue; prototype: Queue };

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as QueueClass;
const silent = { debug: () => undefined, warn: () => undefined, info: () => undefined, error: () => undefined };
const queueOf = (maxInFlightRequests: number | null): Queue =>
  new RequestQueue({ maxInFlightRequests, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'spec:9092', logger: silent });
const until = async (done: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("kafkajs's request queue, with its idle timer loop stopped", () => {
  beforeAll(() => {
    expect(stopIdleRequestQueueLoop()).toBe(true);
  });

  describe('on a real broker', () => {
    const kafka = new Kafka({ clientId: 'request-queue-idle-spec', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    afterAll(async () => {
      await admin.disconnect();
    });

    it('checks its queue only when a request or an answer comes: an idle connection does not wake its process every millisecond', async () => {
      await admin.connect();
      await admin.listTopics();
      const original = RequestQueue.prototype.checkPendingRequests;
      let checks = 0;
      RequestQueue.prototype.checkPendingRequests = function counted(this: Queue) {
        checks += 1;
        original.call(this);
      };
      try {
        await new Promise((r) => setTimeout(r, 1000));
        const idleChecks = checks;
        // a request still goes out and is answered on the same connection
        expect((await admin.listTopics()).length).toBeGreaterThanOrEqual(0);
        // kafkajs 2.2.4 as released: one check per millisecond or so on each connection (about 1,000 here)
        expect(idleChecks).toBeLessThan(10);
      } finally {
        RequestQueue.prototype.checkPendingRequests = original;
      }
    });
  });

  it('times out an unanswered request on every connection from one interval per process, and stops it once no connection is open', async () => {
    const timers: unknown[] = [];
    const realSetInterval = globalThis.setInterval;
    globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
      const timer = realSetInterval(...args);
      timers.push(timer);
      return timer;
    }) as typeof setInterval;
    const queues = Array.from({ length: 5 }, () => new RequestQueue({ maxInFlightRequests: null, requestTimeout: 100, enforceRequestTimeout: true, clientId: 'spec', broker: 'spec:9092', logger: silent }));
    const timedOut: string[] = [];
    try {
      for (const [i, queue] of queues.entries()) {
        queue.scheduleRequestTimeoutCheck();
        queue.push({ entry: { ...entry(i), reject: (err) => timedOut.push(err.name) }, expectResponse: true, sendRequest: () => undefined });
      }
      await until(() => timedOut.length === queues.length);
    } finally {
      globalThis.setInterval = realSetInterval;
      for (const queue of queues) queue.destroy();
    }
    expect(timedOut).toEqual(queues.map(() => 'KafkaJSRequestTimeoutError'));
    // kafkajs 2.2.4 as released: one interval per connection (5 here)
    expect(timers).toHaveLength(1);
    expect((timers[0] as { _destroyed?: boolean })._destroyed).toBe(true);
  });

  it('still sends a request queued behind the in-flight limit once an answer frees a slot', async () => {
    const queue = queueOf(1);
    const sent: number[] = [];
    queue.push({ entry: entry(1), expectResponse: true, sendRequest: () => sent.push(1) });
    queue.push({ entry: entry(2), expectResponse: true, sendRequest: () => sent.push(2) });
    expect(sent).toEqual([1]);
    queue.fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(sent).toEqual([1, 2]);
    queue.destroy();
  });

  it('still sends a request queued during a client-side throttle once the throttle ends', async () => {
    const queue = queueOf(null);
    const sent: number[] = [];
    queue.maybeThrottle(50);
    queue.push({ entry: entry(7), expectResponse: true, sendRequest: () => sent.push(7) });
    expect(sent).toEqual([]);
    await until(() => sent.length === 1);
    expect(queue.pending).toHaveLength(0);
    queue.destroy();
  });
});
