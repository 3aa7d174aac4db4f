import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { BatchConsumer, type ConsumedBatch } from './batch-consumer.js';
import { TopicAdmin } from './topic-admin.js';

describe('BatchConsumer on a real broker', () => {
  const kafka = new Kafka({ clientId: 'batch-consumer-spec', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const logger = createLogger('silent');
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  const newTopicWith = async (count: number): Promise<string> => {
    const topic = `batch-consumer-${randomUUID()}`;
    await new TopicAdmin(kafka, logger).ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    return topic;
  };
  /** The Kafka client a BatchConsumer gets, with `listen` attached to every consumer it builds. */
  const observed = (listen: (consumer: Consumer) => void): Kafka => {
    const wrapped = Object.create(kafka) as Kafka;
    wrapped.consumer = (config) => {
      const consumer = kafka.consumer(config);
      listen(consumer);
      return consumer;
    };
    return wrapped;
  };
  const committed = async (groupId: string, topic: string): Promise<string | undefined> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions.find((p) => p.partition === 0)?.offset;
  };

  it('commits the batch a stop waits for, so a stop in the middle of a batch loses nothing and redelivers nothing', async () => {
    const topic = await newTopicWith(5);
    const groupId = `spec-${randomUUID()}`;
    const consumer = new BatchConsumer(kafka, { groupId, topics: [topic], fromBeginning: true }, logger);
    let entered: () => void = () => undefined;
    const inBatch = new Promise<void>((r) => (entered = r));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const seen: ConsumedBatch[] = [];
    await consumer.start(async (batch) => {
      seen.push(batch);
      entered();
      await gate;
    });
    await inBatch;
    const stopping = consumer.stop();
    await new Promise((r) => setTimeout(r, 200));
    release();
    await stopping;
    expect(seen.flatMap((b) => b.messages.map((m) => m.value?.toString()))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(await committed(groupId, topic)).toBe('5');
  });

  it('does not commit a batch whose handler failed, and delivers it again', async () => {
    const topic = await newTopicWith(3);
    const groupId = `spec-${randomUUID()}`;
    const consumer = new BatchConsumer(kafka, { groupId, topics: [topic], fromBeginning: true }, logger);
    let calls = 0;
    let done: () => void = () => undefined;
    const delivered = new Promise<void>((r) => (done = r));
    await consumer.start(async (batch) => {
      calls++;
      if (calls === 1) throw new Error('storage unavailable');
      if (batch.messages.length === 3 && batch.messages[0]!.offset === 0n) done();
    });
    await delivered;
    await consumer.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(await committed(groupId, topic)).toBe('3');
  });

  it('pipelined: handles the next batch before the previous one is durable, and commits each only once it is', async () => {
    const topic = await newTopicWith(3);
    const groupId = `spec-${randomUUID()}`;
    let drains = 0;
    const durables: { resolve: () => void }[] = [];
    const consumer = new BatchConsumer(kafka, { groupId, topics: [topic], fromBeginning: true, onDrain: () => (drains += 1) }, logger);
    const producer = kafka.producer();
    await producer.connect();
    let handled = 0;
    let sawSecond: () => void = () => undefined;
    const second = new Promise<void>((r) => (sawSecond = r));
    await consumer.start(async (batch) => {
      handled += batch.messages.length;
      if (handled > 3) sawSecond();
      let resolve: () => void = () => undefined;
      const durable = new Promise<void>((r) => (resolve = r));
      durables.push({ resolve });
      return { durable };
    });
    await consumer.ready();
    // the first batch is handled but not durable: no commit yet, and the next batch still comes
    await expect.poll(() => handled, { timeout: 15_000 }).toBe(3);
    await producer.send({ topic, acks: -1, messages: [{ value: 'm3' }, { value: 'm4' }] });
    await second;
    expect(await committed(groupId, topic)).toBe('-1');
    // durable out of order: the later batch waits for the earlier one before it is committed
    durables[1]!.resolve();
    await new Promise((r) => setTimeout(r, 300));
    expect(await committed(groupId, topic)).toBe('-1');
    durables[0]!.resolve();
    await expect.poll(() => committed(groupId, topic), { timeout: 5000 }).toBe('5');

    await producer.send({ topic, acks: -1, messages: [{ value: 'm5' }] });
    await expect.poll(() => handled, { timeout: 15_000 }).toBe(6);
    // a stop asks to drain and commits what becomes durable before it leaves the group
    const stopping = consumer.stop();
    await expect.poll(() => drains).toBe(1);
    durables[2]!.resolve();
    await stopping;
    await producer.disconnect();
    expect(await committed(groupId, topic)).toBe('6');
  });

  it('pipelined: batches that become durable together (one insert) are committed once, at the newest offset', async () => {
    const topic = await newTopicWith(1);
    const groupId = `spec-${randomUUID()}`;
    // every offset commit the consumer sends, recorded
    const commits: string[] = [];
    const counting = observed((c) => c.on(c.events.COMMIT_OFFSETS, (e) => commits.push(...e.payload.topics.flatMap((t) => t.partitions.map((p) => p.offset)))));
    const consumer = new BatchConsumer(counting, { groupId, topics: [topic], fromBeginning: true }, logger);
    let stored: () => void = () => undefined;
    const insert = new Promise<void>((r) => (stored = r));
    let handled = 0;
    await consumer.start(async (batch) => {
      handled += batch.messages.length;
      return { durable: insert };
    });
    await consumer.ready();
    const producer = kafka.producer();
    await producer.connect();
    // four batches, each handled before the next is produced, none durable yet
    await expect.poll(() => handled, { timeout: 15_000 }).toBe(1);
    for (let i = 1; i <= 3; i++) {
      await producer.send({ topic, acks: -1, messages: [{ value: `m${i}` }] });
      await expect.poll(() => handled, { timeout: 15_000 }).toBe(i + 1);
    }
    await producer.disconnect();
    expect(commits).toEqual([]);
    stored();
    await expect.poll(() => committed(groupId, topic), { timeout: 5000 }).toBe('4');
    await consumer.stop();
    expect(commits).toEqual(['4']);
  });

  it('paces its fetches: idle, one per maxWait; under a stream of records, none sooner than minIntervalMs after the one before', async () => {
    const topic = await newTopicWith(1);
    const groupId = `spec-${randomUUID()}`;
    const fetches: number[] = [];
    const counting = observed((c) => c.on(c.events.FETCH_START, () => fetches.push(performance.now())));
    const minIntervalMs = 100;
    const maxWaitMs = 500;
    const consumer = new BatchConsumer(counting, { groupId, topics: [topic], fromBeginning: true, fetch: { minBytes: 1, maxWaitMs, minIntervalMs } }, logger);
    let handled = 0;
    await consumer.start(async (batch) => {
      handled += batch.messages.length;
    });
    await expect.poll(() => handled, { timeout: 15_000 }).toBe(1);
    // idle: the broker holds each fetch up to maxWaitMs
    const idleFrom = performance.now();
    const idleFetches = fetches.length;
    await new Promise((r) => setTimeout(r, 2000));
    const idleMs = performance.now() - idleFrom;
    expect(fetches.length - idleFetches).toBeLessThanOrEqual(Math.ceil(idleMs / maxWaitMs) + 1);
    // a stream of records, one every 10 ms: each fetch finds some, and the next waits for the pace
    const producer = kafka.producer();
    await producer.connect();
    const streamFrom = performance.now();
    const streamFetches = fetches.length;
    for (let i = 0; i < 100; i++) {
      await producer.send({ topic, acks: 1, messages: [{ value: `s${i}` }] });
      await new Promise((r) => setTimeout(r, 10));
    }
    await expect.poll(() => handled, { timeout: 15_000 }).toBe(101);
    const streamMs = performance.now() - streamFrom;
    await producer.disconnect();
    await consumer.stop();
    const during = fetches.slice(streamFetches).filter((t) => t <= streamFrom + streamMs);
    expect(during.length).toBeGreaterThan(1);
    expect(during.length).toBeLessThanOrEqual(Math.ceil(streamMs / minIntervalMs) + 1);
  });

  it('pipelined: before rejoining for a rebalance, the member makes what it handled durable and commits it, so the new owner repeats nothing', async () => {
    const topic = `batch-consumer-${randomUUID()}`;
    await new TopicAdmin(kafka, logger).ensureTopics([{ topic, partitions: 2, replicationFactor: 1 }]);
    const groupId = `spec-${randomUUID()}`;
    const producer = kafka.producer();
    await producer.connect();
    let sent = 0;
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        await producer.send({ topic, acks: -1, messages: [0, 1].map((partition) => ({ partition, value: `m${sent++}` })) });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // A's batches become durable only when a drain asks for it: a rejoin without the drain would hand B uncommitted offsets
    const handled: { member: string; partition: number; offset: bigint }[] = [];
    const waiting: (() => void)[] = [];
    let drained = false;
    const a = new BatchConsumer(
      kafka,
      { groupId, topics: [topic], fromBeginning: true, concurrency: 2, onDrain: () => ((drained = true), waiting.splice(0).forEach((r) => r())), onDrained: () => (drained = false) },
      logger,
    );
    await a.start(async (batch) => {
      for (const m of batch.messages) handled.push({ member: 'a', partition: batch.partition, offset: m.offset });
      const durable = drained ? Promise.resolve() : new Promise<void>((r) => waiting.push(r));
      return { durable };
    });
    await a.ready();
    await expect.poll(() => handled.length, { timeout: 15_000 }).toBeGreaterThan(20);
    expect(await committed(groupId, topic)).toBe('-1');

    const b = new BatchConsumer(kafka, { groupId, topics: [topic], fromBeginning: true }, logger);
    await b.start(async (batch) => {
      for (const m of batch.messages) handled.push({ member: 'b', partition: batch.partition, offset: m.offset });
    });
    await b.ready();
    await expect.poll(() => handled.filter((h) => h.member === 'b').length, { timeout: 30_000 }).toBeGreaterThan(10);
    sending = false;
    await traffic;
    await Promise.all([a.stop(), b.stop()]);
    await producer.disconnect();

    const keys = handled.map((h) => `${h.partition}:${h.offset}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
