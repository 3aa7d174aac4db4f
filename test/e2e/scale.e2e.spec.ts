import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VISITOR_SKETCH } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { createRuntime, type Runtime } from '@clickstream/platform';
import { startAggregator, type StartedAggregator } from '../../apps/aggregator/src/aggregator.app.js';
import { startIngest, type StartedIngest } from '../../apps/ingest/src/ingest.app.js';
import { BROWSER_UA, eventually, testConfig } from '../support/test-system.js';

const logger = createLogger('error', 'test');
/** Distinct User-Agents, so distinct visitors (one IP): few enough that uniqCombined is still exact. */
const VISITORS = 60;
const BEFORE_LEAVE = 300;
const DURING_LEAVE = 100;
const AFTER_LEAVE = 100;
const TOTAL = BEFORE_LEAVE + DURING_LEAVE + AFTER_LEAVE;

/**
 * Two aggregator instances in one consumer group. They run in this process and share its
 * ClickHouse client, which keeps the test light; as two processes (two containers, say) the
 * Kafka side (group, rebalance, takeover) is the same.
 */
describe('two aggregators in one consumer group', () => {
  let config: AppConfig;
  let cleanup: (() => void) | undefined;
  let runtime: Runtime | undefined;
  let ingest: StartedIngest | undefined;
  let a: StartedAggregator | undefined;
  let b: StartedAggregator | undefined;

  const owned = async (aggregator: StartedAggregator): Promise<number[]> => ((await (await fetch(`${aggregator.url}/health`)).json()) as { partitions: number[] }).partitions;
  const rows = async <T>(query: string): Promise<T[]> => (await runtime!.clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();
  const scalar = async (query: string): Promise<number> => Number((await rows<{ n: number | string }>(query))[0]?.n);
  const storedShop = (): Promise<number> => scalar(`SELECT count() AS n FROM ${config.clickhouse.database}.events_raw WHERE site = 'shop'`);
  /** Page views of 'shop' numbered from..from+n-1; event i comes from visitor i mod VISITORS. */
  const post = async (n: number, from: number): Promise<void> => {
    const statuses = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await fetch(`${ingest!.url}/api/collect`, {
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
    // every step runs even if an earlier one (or the test) failed; the first error is reported
    const errors: unknown[] = [];
    for (const step of [() => b?.close(), () => a?.close(), () => ingest?.close(), () => runtime?.close(), () => cleanup?.()]) {
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => errors.push(err));
    }
    if (errors.length > 0) throw errors[0];
  });

  it('split the partitions, and when one leaves the other takes over with totals exact', async () => {
    const db = config.clickhouse.database;
    a = await startAggregator(runtime!);
    await a.ready();
    b = await startAggregator(runtime!);
    await b.ready();
    const all = Array.from({ length: config.kafka.partitions.events }, (_, i) => i).join();
    const split = await eventually(
      async () => {
        const [pa, pb] = [await owned(a!), await owned(b!)];
        const disjoint = pa.every((p) => !pb.includes(p));
        return pa.length > 0 && pb.length > 0 && disjoint && [...pa, ...pb].sort((x, y) => x - y).join() === all ? { pa, pb } : undefined;
      },
      30_000,
      'the partitions split between the two',
    );

    await post(BEFORE_LEAVE, 0);
    await eventually(async () => ((await storedShop()) === BEFORE_LEAVE ? true : undefined), 30_000, `${BEFORE_LEAVE} stored`);
    // both instances stored rows: events of partitions owned by each
    const stored = (await rows<{ p: number | string }>(`SELECT DISTINCT kafka_partition AS p FROM ${db}.events_raw`)).map((r) => Number(r.p));
    expect(stored.some((p) => split.pa.includes(p)), `rows of A's partitions ${split.pa}`).toBe(true);
    expect(stored.some((p) => split.pb.includes(p)), `rows of B's partitions ${split.pb}`).toBe(true);

    // B leaves while hits keep arriving: some of its partitions' events are in flight during the handover
    const duringLeave = (async () => {
      for (let wave = 0; wave < 10; wave++) {
        await post(DURING_LEAVE / 10, BEFORE_LEAVE + wave * (DURING_LEAVE / 10));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // B leaves with batches waiting in its insert buffer (flushed at most every second)
    await new Promise((r) => setTimeout(r, 300));
    await b.close();
    b = undefined;
    await eventually(async () => ((await owned(a!)).join() === all ? true : undefined), 30_000, 'the remaining aggregator owns every partition');
    await duringLeave;
    await post(AFTER_LEAVE, BEFORE_LEAVE + DURING_LEAVE);
    await eventually(async () => ((await storedShop()) === TOTAL ? true : undefined), 30_000, `${TOTAL} stored`);

    // A finishes its batches, commits and leaves: nothing writes any more, so the counts are final
    await a.close();
    a = undefined;
    expect(await storedShop()).toBe(TOTAL);
    expect(await scalar(`SELECT uniqExact(kafka_partition, kafka_offset) AS n FROM ${db}.events_raw`)).toBe(TOTAL);
    expect(await scalar(`SELECT sum(pageviews) AS n FROM ${db}.rollup_1m WHERE site = 'shop'`)).toBe(TOTAL);
    expect(await scalar(`SELECT ${VISITOR_SKETCH.merge}(visitors) AS n FROM ${db}.rollup_1m WHERE site = 'shop'`)).toBe(VISITORS);
    // one session per visitor, although a visitor's partition changed owner in the middle
    expect(await scalar(`SELECT uniqExact(session_id) AS n FROM ${db}.events_raw WHERE site = 'shop'`)).toBe(VISITORS);

    const admin = new Kafka({ clientId: 'scale-check', brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(config.kafka.topics.events);
      const [committed] = await admin.fetchOffsets({ groupId: config.kafka.consumerGroup, topics: [config.kafka.topics.events] });
      expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(TOTAL);
      for (const p of committed!.partitions) {
        // a partition that never received an event has nothing to commit (-1)
        expect(p.offset === '-1' ? '0' : p.offset, `partition ${p.partition}`).toBe(ends.find((e) => e.partition === p.partition)!.high);
      }
    } finally {
      await admin.disconnect();
    }
  });
});
