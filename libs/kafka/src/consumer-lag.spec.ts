import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { ConsumerLag } from './consumer-lag.js';
import { TopicAdmin } from './topic-admin.js';

describe('the consumer lag of a group, on a real broker', () => {
  const kafka = new Kafka({ clientId: 'consumer-lag-spec', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const lag = new ConsumerLag(kafka);

  afterAll(async () => {
    await lag.close();
  });

  it('is the records past the committed offset per partition, and the whole partition where the group committed nothing', async () => {
    const topic = `consumer-lag-${randomUUID()}`;
    const groupId = `consumer-lag-${randomUUID()}`;
    await new TopicAdmin(kafka, createLogger('silent')).ensureTopics([{ topic, partitions: 3, replicationFactor: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    const sent = [5, 3, 0];
    for (const [partition, n] of sent.entries()) {
      if (n > 0) await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition, value: `m${i}` })) });
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    // the group read two records of partition 0, none of partition 1
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
    await admin.disconnect();

    const measured = await lag.measure(groupId, topic);
    expect(measured.map((p) => ({ partition: p.partition, committed: Number(p.committed), end: Number(p.end), lag: Number(p.lag) }))).toEqual([
      { partition: 0, committed: 2, end: 5, lag: sent[0]! - 2 },
      { partition: 1, committed: 0, end: 3, lag: sent[1]! },
      { partition: 2, committed: 0, end: 0, lag: 0 },
    ]);
  });
});
