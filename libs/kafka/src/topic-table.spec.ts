import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { readTopic } from '../../../test/support/kafka-reader.js';
import { TopicAdmin } from './topic-admin.js';
import { TopicTables, type KeepRule } from './topic-table.js';

describe('topics read as tables, on a real broker', () => {
  const kafka = new Kafka({ clientId: 'topic-table-spec', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const logger = createLogger('silent');
  const opened: TopicTables[] = [];

  const newTopic = async (config: Record<string, string> = {}): Promise<string> => {
    const topic = `topic-table-${randomUUID()}`;
    await new TopicAdmin(kafka, logger).ensureTopics([{ topic, partitions: 1, replicationFactor: 1, config }]);
    return topic;
  };
  const reader = (topic: string, keep: KeepRule, catchUpTimeoutMs = 15_000): TopicTables => {
    const tables = new TopicTables(kafka, logger, { groupPrefix: 'topic-table-spec', tables: [{ topic, keep }], catchUpTimeoutMs });
    opened.push(tables);
    return tables;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await Promise.all(opened.map((t) => t.close()));
  });

  it('rebuilds a compacted table on a new reader: the latest value of each key, a null deleting it', async () => {
    const topic = await newTopic({ 'cleanup.policy': 'compact' });
    const writer = reader(topic, 'latest');
    await writer.put(topic, 'alpha', '1');
    await writer.put(topic, 'beta', '1');
    await writer.put(topic, 'alpha', '2');
    await writer.put(topic, 'beta', null);
    await writer.put(topic, 'gamma', '1');

    const fresh = reader(topic, 'latest');
    await fresh.open();
    await fresh.catchUp(topic);
    expect(Object.fromEntries(fresh.keys(topic).map((k) => [k, fresh.get(topic, k)]))).toEqual({ alpha: '2', gamma: '1' });
  });

  it('reads its own writes after rounds that overlapped: no later call gets the outcome of an old round', async () => {
    const topic = await newTopic({ 'cleanup.policy': 'compact' });
    const ingest = reader(topic, 'latest');
    await ingest.open();
    const writer = reader(topic, 'latest');
    for (let i = 0; i < 5; i += 1) {
      // three callers at once: one round, and one queued behind it for the two that came later
      await Promise.all([ingest.catchUp(topic), ingest.catchUp(topic), ingest.catchUp(topic)]);
      await writer.put(topic, `site-${i}`, '{}');
      await ingest.catchUp(topic);
      expect(ingest.get(topic, `site-${i}`)).toBe('{}');
    }
  });

  it('reads its own writes: after catchUp, a reader that was open before a write holds it', async () => {
    const topic = await newTopic({ 'cleanup.policy': 'compact' });
    const ingest = reader(topic, 'latest');
    await ingest.open();
    await ingest.catchUp(topic);
    expect(ingest.keys(topic)).toEqual([]);

    const gateway = reader(topic, 'latest');
    for (let i = 0; i < 20; i += 1) {
      await gateway.put(topic, `site-${i}`, '{}');
      // no wait between the write and the read but catchUp itself
      await ingest.catchUp(topic);
      expect(ingest.get(topic, `site-${i}`)).toBe('{}');
    }
  });

  it('agrees on the first value of a key: every reader, opened before or after, keeps the one written first', async () => {
    const topic = await newTopic();
    const [a, b] = [reader(topic, 'first'), reader(topic, 'first')];
    await Promise.all([a.open(), b.open()]);
    // both propose at once; the partition orders them
    await Promise.all([a.put(topic, 'day', 'from-a'), b.put(topic, 'day', 'from-b')]);
    await Promise.all([a.catchUp(topic), b.catchUp(topic)]);
    const chosen = a.get(topic, 'day');
    expect(b.get(topic, 'day')).toBe(chosen);
    // the record at the partition's first offset, read with a plain consumer
    const records = await readTopic(inject('kafkaBrokers').split(','), topic, (m) => m.length >= 2, { settleMs: 200 });
    expect(records.map((r) => r.offset)).toEqual(['0', '1']);
    expect(chosen).toBe(records[0]!.text);

    const later = reader(topic, 'first');
    await later.open();
    await later.catchUp(topic);
    expect(later.get(topic, 'day')).toBe(chosen);
  });

  it('forgets keys from memory on request, without reading them back', async () => {
    const topic = await newTopic();
    const tables = reader(topic, 'first');
    await tables.put(topic, '2031-01-01', 'old');
    await tables.put(topic, '2031-01-03', 'new');
    await tables.open();
    await tables.catchUp(topic);
    tables.forget(topic, (day) => day < '2031-01-02');
    await tables.catchUp(topic);
    expect(tables.keys(topic)).toEqual(['2031-01-03']);
  });

  it('gives up catching up after its timeout when the reader cannot read, and resolves at once on an empty topic', async () => {
    const topic = await newTopic();
    const notOpened = reader(topic, 'latest', 500);
    await notOpened.catchUp(topic);
    await notOpened.put(topic, 'k', 'v');
    // never opened, so it never reads the record now in the topic
    await expect(notOpened.catchUp(topic)).rejects.toThrow(`shared state of ${topic} not read within 500 ms`);
  });
});
