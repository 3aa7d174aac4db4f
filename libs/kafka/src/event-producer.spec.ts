import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { EventProducer } from './event-producer.js';
import { TopicAdmin } from './topic-admin.js';

describe('EventProducer on a real broker', () => {
  const kafka = new Kafka({ clientId: 'event-producer-spec', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const logger = createLogger('silent');
  const admin = kafka.admin();
  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  /** The Kafka client EventProducer gets, with every produce request it makes counted. */
  const counting = (requests: { messages: number }[]): Kafka => {
    const wrapped = Object.create(kafka) as Kafka;
    wrapped.producer = (config) => {
      const producer: Producer = kafka.producer(config);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = (batch) => {
        requests.push({ messages: batch.topicMessages!.reduce((n, t) => n + t.messages.length, 0) });
        return sendBatch(batch);
      };
      return producer;
    };
    return wrapped;
  };

  it('under a steady stream of sends, starts at most one produce request per linger interval, and every send resolves once its request was acknowledged', async () => {
    const topic = `event-producer-${randomUUID()}`;
    await new TopicAdmin(kafka, logger).ensureTopics([{ topic, partitions: 2, replicationFactor: 1 }]);
    const requests: { messages: number }[] = [];
    const lingerMs = 40;
    const producer = new EventProducer(counting(requests), { lingerMs, maxBatch: 1000, timeoutMs: 10_000 }, logger);
    await producer.connect();
    const sends: Promise<void>[] = [];
    const started = performance.now();
    // one send every millisecond or so, for about half a second: far more sends than linger intervals
    for (let i = 0; i < 400; i++) {
      sends.push(producer.send([{ topic, key: `k${i % 7}`, value: Buffer.from(`m${i}`) }]));
      if (i % 4 === 3) await new Promise((r) => setTimeout(r, 4));
    }
    await Promise.all(sends);
    const elapsed = performance.now() - started;
    await producer.close();

    // every message went out, in requests paced by the linger interval (the first one lingers too)
    expect(requests.reduce((n, r) => n + r.messages, 0)).toBe(400);
    expect(requests.length).toBeLessThanOrEqual(Math.ceil(elapsed / lingerMs) + 1);
    expect(requests.length).toBeGreaterThan(1);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(400);
  });

  it('with no linger, sends at once, one request at a time', async () => {
    const topic = `event-producer-${randomUUID()}`;
    await new TopicAdmin(kafka, logger).ensureTopics([{ topic, partitions: 1, replicationFactor: 1 }]);
    const requests: { messages: number }[] = [];
    const producer = new EventProducer(counting(requests), { lingerMs: 0, maxBatch: 1000, timeoutMs: 10_000 }, logger);
    await producer.send([{ topic, key: 'a', value: Buffer.from('first') }]);
    expect(requests).toEqual([{ messages: 1 }]);
    // the first request has ended (its caller is answered a moment before)
    await new Promise((r) => setTimeout(r, 20));
    await Promise.all([producer.send([{ topic, key: 'a', value: Buffer.from('second') }]), producer.send([{ topic, key: 'a', value: Buffer.from('third') }])]);
    await producer.close();
    // the second went alone at once; the third waited for it and went next
    expect(requests).toEqual([{ messages: 1 }, { messages: 1 }, { messages: 1 }]);
  });
});
