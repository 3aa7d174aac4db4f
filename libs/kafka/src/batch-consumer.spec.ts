import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
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
});
