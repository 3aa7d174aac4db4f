import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { createRuntime, type Runtime } from '@clickstream/platform';
import { startAggregator, type StartedAggregator } from '../../apps/aggregator/src/aggregator.app.js';
import { startIngest, type StartedIngest } from '../../apps/ingest/src/ingest.app.js';
import { BROWSER_UA, eventually, testConfig } from '../support/test-system.js';

const logger = createLogger('error', 'test');
const VISITORS = 60;

/**
 * Two aggregator instances in one consumer group. The embedded ClickHouse engine is one folder
 * per process, so they run in this process and share its client; with a ClickHouse server
 * they would be two processes, and the Kafka side (group, rebalance, takeover) is the same.
 */
describe('two aggregators in one consumer group', () => {
  let config: AppConfig;
  let cleanup: () => void;
  let runtime: Runtime;
  let ingest: StartedIngest;
  let a: StartedAggregator | undefined;
  let b: StartedAggregator | undefined;

  const owned = async (aggregator: StartedAggregator): Promise<number[]> => ((await (await fetch(`${aggregator.url}/health`)).json()) as { partitions: number[] }).partitions;
  const scalar = async (query: string): Promise<number> => {
    const [row] = await (await runtime.clickhouse.query({ query, format: 'JSONEachRow' })).json<{ n: number | string }>();
    return Number(row?.n);
  };
  const post = async (n: number, from: number): Promise<void> => {
    const statuses = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await fetch(`${ingest.url}/api/collect`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': `${BROWSER_UA} v/${(from + i) % VISITORS}` },
          body: JSON.stringify({ site: 'shop', url: `https://shop.example/${(from + i) % 9}` }),
        });
        await res.text();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
  };

  beforeAll(async () => {
    // all test traffic comes from one IP: lift the per-IP rate limit
    ({ config, cleanup } = testConfig({ RATE_LIMIT_BURST: '10000' }));
    runtime = await createRuntime(config, logger);
    ingest = await startIngest(runtime);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await ingest?.close();
    await runtime?.close();
    cleanup?.();
  });

  it('split the partitions, and when one leaves the other takes over with totals exact', async () => {
    a = await startAggregator(runtime);
    await a.ready();
    b = await startAggregator(runtime);
    await b.ready();
    const all = Array.from({ length: config.kafka.partitions.events }, (_, i) => i);
    const split = await eventually(
      async () => {
        const [pa, pb] = [await owned(a!), await owned(b!)];
        const disjoint = pa.every((p) => !pb.includes(p));
        return pa.length > 0 && pb.length > 0 && disjoint && [...pa, ...pb].sort((x, y) => x - y).join() === all.join() ? { pa, pb } : undefined;
      },
      30_000,
      'the partitions split between the two',
    );

    const db = config.clickhouse.database;
    await post(300, 0);
    await eventually(async () => ((await scalar(`SELECT count() AS n FROM ${db}.events_raw WHERE site = 'shop'`)) === 300 ? true : undefined), 30_000, '300 stored');
    // both stored rows: events of partitions owned by each
    const partitionsWithRows = await (await runtime.clickhouse.query({ query: `SELECT DISTINCT kafka_partition AS p FROM ${db}.events_raw`, format: 'JSONEachRow' })).json<{ p: number }>();
    const stored = partitionsWithRows.map((r) => Number(r.p));
    expect(stored.some((p) => split.pa.includes(p))).toBe(true);
    expect(stored.some((p) => split.pb.includes(p))).toBe(true);

    await b.close();
    b = undefined;
    await eventually(async () => ((await owned(a!)).join() === all.join() ? true : undefined), 30_000, 'the remaining aggregator owns every partition');
    await post(200, 300);
    await eventually(async () => ((await scalar(`SELECT count() AS n FROM ${db}.events_raw WHERE site = 'shop'`)) === 500 ? true : undefined), 30_000, '500 stored');
    await new Promise((r) => setTimeout(r, 1500));

    expect(await scalar(`SELECT count() AS n FROM ${db}.events_raw WHERE site = 'shop'`)).toBe(500);
    expect(await scalar(`SELECT uniqExact(kafka_partition, kafka_offset) AS n FROM ${db}.events_raw`)).toBe(500);
    expect(await scalar(`SELECT sum(pageviews) AS n FROM ${db}.rollup_1m WHERE site = 'shop'`)).toBe(500);
    expect(await scalar(`SELECT uniqCombinedMerge(visitors) AS n FROM ${db}.rollup_1m WHERE site = 'shop'`)).toBe(VISITORS);
    // one session per visitor, although a visitor's partition changed owner in the middle
    expect(await scalar(`SELECT uniqExact(session_id) AS n FROM ${db}.events_raw WHERE site = 'shop'`)).toBe(VISITORS);

    await a.close();
    a = undefined;
    const admin = new Kafka({ clientId: 'scale-check', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(config.kafka.topics.events);
      const [committed] = await admin.fetchOffsets({ groupId: config.kafka.consumerGroup, topics: [config.kafka.topics.events] });
      for (const p of committed!.partitions) expect(p.offset === '-1' ? '0' : p.offset, `partition ${p.partition}`).toBe(ends.find((e) => e.partition === p.partition)!.high);
    } finally {
      await admin.disconnect();
    }
  });
});
