import { Kafka, logLevel } from 'kafkajs';
import type { ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { eventually } from './test-system.js';

/** Waits until the group has committed the end of every partition of the topic; returns the topic's record count. */
export async function waitForCommittedEnd(brokers: string, topic: string, groupId: string, timeoutMs: number, context: () => string = () => ''): Promise<number> {
  const kafka = new Kafka({ clientId: `${groupId}-check`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const records = ends.reduce((sum, p) => sum + Number(p.high), 0);
      // a partition that never held a record has nothing to commit (kafkajs reports -1 for it)
      const atEnd = (p: { partition: number; low: string; high: string }): boolean => {
        const offset = committed?.partitions.find((c) => c.partition === p.partition)?.offset;
        return offset === p.high || (offset === '-1' && p.low === p.high);
      };
      if (ends.every(atEnd)) return records;
      if (Date.now() > deadline) throw new Error(`the aggregators did not commit the end of ${topic} in time\n${context()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until `expected` raw rows are stored and the aggregator's group has committed the end of
 * the events topic. The raw rows alone are not enough: a server shows an insert's raw part before
 * it has written every view's part, and the aggregator commits only once the whole insert is done.
 */
export async function waitUntilStored(system: { clickhouse: ClickHouseClient; config: AppConfig }, expected: number, timeoutMs = 30_000): Promise<void> {
  const { clickhouse, kafka } = system.config;
  const count = `SELECT count() AS n FROM ${clickhouse.database}.events_raw`;
  await eventually(
    async () => {
      const [row] = await (await system.clickhouse.query({ query: count, format: 'JSONEachRow' })).json<{ n: number | string }>();
      return Number(row?.n) === expected ? true : undefined;
    },
    timeoutMs,
    `${expected} stored events`,
  );
  await waitForCommittedEnd(kafka.brokers!.join(','), kafka.topics.events, kafka.consumerGroup, timeoutMs);
}
