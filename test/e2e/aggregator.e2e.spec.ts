import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VISITOR_SKETCH, type ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { createKafka } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { createRuntime } from '@clickstream/platform';
import { ReplayService } from '../../apps/aggregator/src/replay/replay.service.js';
import { startSystem, type RunningSystem } from '../../apps/standalone/src/system.js';
import { rollupSnapshot } from '../support/rollup-snapshot.js';
import { waitUntilStored } from '../support/stored-events.js';
import { BROWSER_UA, testConfig } from '../support/test-system.js';

const logger = createLogger('error', 'test');

/** Distinct User-Agents make distinct visitors (the visitor id hashes IP and User-Agent). */
const uaOf = (visitor: number): string => `${BROWSER_UA} visitor/${visitor}`;

async function post(ingestUrl: string, body: unknown, ua: string): Promise<number> {
  const res = await fetch(`${ingestUrl}/api/collect`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': ua }, body: JSON.stringify(body) });
  await res.text();
  return res.status;
}

async function scalar(clickhouse: ClickHouseClient, query: string): Promise<number> {
  const [row] = await (await clickhouse.query({ query, format: 'JSONEachRow' })).json<{ n: number | string | null }>();
  return Number(row?.n ?? NaN);
}

describe('the aggregator on real Kafka and the ClickHouse engine', () => {
  let config: AppConfig;
  let cleanup: () => void;
  let system: RunningSystem | undefined;
  let db: string;
  const visitors = 12;
  const sent = { pageviews: 0, events: 0, bots: 0 };

  beforeAll(async () => {
    ({ config, cleanup } = testConfig());
    db = config.clickhouse.database;
    system = await startSystem(config, logger);
  });

  afterAll(async () => {
    await system?.stop();
    cleanup?.();
  });

  it('stores N events through ingest exactly once: raw rows, minute rollups, breakdowns, sessions and unique visitors', async () => {
    const posts: Promise<number>[] = [];
    for (let i = 0; i < 120; i++) {
      const v = i % visitors;
      posts.push(
        post(system!.ingestUrl, { site: 'shop', url: `https://shop.example/p${i % 4}?utm_source=${i % 2 ? 'news' : 'ads'}`, referrer: 'https://www.search.example/q' }, uaOf(v)),
      );
      sent.pageviews += 1;
      if (i % 6 === 0) {
        posts.push(post(system!.ingestUrl, { type: 'event', site: 'shop', url: `https://shop.example/p${i % 4}`, name: i % 12 === 0 ? 'signup' : 'download' }, uaOf(v)));
        sent.events += 1;
      }
      if (i % 10 === 0) {
        posts.push(post(system!.ingestUrl, { site: 'shop', url: 'https://shop.example/robots' }, 'curl/8.5.0'));
        sent.bots += 1;
      }
    }
    const statuses = await Promise.all(posts);
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const total = sent.pageviews + sent.events + sent.bots;
    await waitUntilStored(system!, total);
    // give a redelivery or a late duplicate a chance to show up before counting
    await new Promise((r) => setTimeout(r, 1500));

    expect(await scalar(system!.clickhouse, `SELECT count() AS n FROM ${db}.events_raw`)).toBe(total);
    expect(await scalar(system!.clickhouse, `SELECT uniqExact(kafka_partition, kafka_offset) AS n FROM ${db}.events_raw`)).toBe(total);
    const [minute] = await (
      await system!.clickhouse.query({
        query: `SELECT sum(pageviews) AS pageviews, sum(custom_events) AS events, sum(bot_events) AS bots, sum(sessions) AS sessions, ${VISITOR_SKETCH.merge}(visitors) AS visitors
                FROM ${db}.rollup_1m WHERE site = 'shop'`,
        format: 'JSONEachRow',
      })
    ).json<Record<string, number>>();
    // all within a few seconds: one session per human visitor
    expect(minute).toEqual({ pageviews: sent.pageviews, events: sent.events, bots: sent.bots, sessions: visitors, visitors });

    const breakdown = async (dimension: string) =>
      (
        await (
          await system!.clickhouse.query({
            query: `SELECT value, sum(events) AS n FROM ${db}.breakdown_1m WHERE site = 'shop' AND dimension = {dimension:String} GROUP BY value ORDER BY value`,
            query_params: { dimension },
            format: 'JSONEachRow',
          })
        ).json<{ value: string; n: number }>()
      ).map((r) => [r.value, r.n]);
    expect(await breakdown('page')).toEqual([
      ['/p0', 30],
      ['/p1', 30],
      ['/p2', 30],
      ['/p3', 30],
    ]);
    expect(await breakdown('utmSource')).toEqual([
      ['ads', 60],
      ['news', 60],
    ]);
    expect(await breakdown('referrer')).toEqual([['search.example', 120]]);
    expect(await breakdown('event')).toEqual([
      ['download', 10],
      ['signup', 10],
    ]);

    const [sessions] = await (
      await system!.clickhouse.query({
        query: `SELECT sumIf(sessions, dimension = '') AS started, sumIf(bounces, dimension = '') AS bounced,
                       sumIf(sessions, dimension = 'entryPage') AS entries, sumIf(sessions, dimension = 'exitPage') AS exits,
                       ${VISITOR_SKETCH.mergeIf}(visitors, dimension = 'entryPage') AS entryVisitors
                FROM ${db}.sessions_1m WHERE site = 'shop'`,
        format: 'JSONEachRow',
      })
    ).json<Record<string, number>>();
    // every visitor viewed several pages in one session: no bounce, one entry and one exit each
    expect(Object.fromEntries(Object.entries(sessions ?? {}).map(([k, v]) => [k, Number(v)]))).toEqual({ started: visitors, bounced: 0, entries: visitors, exits: visitors, entryVisitors: visitors });

    // what the aggregator reports about itself
    const metrics = await (await fetch(`${system!.aggregatorUrl}/metrics`)).text();
    const processed = [...metrics.matchAll(/^clickstream_aggregator_events_processed_total\{type="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(processed)).toEqual({ pageview: sent.pageviews, event: sent.events, bot: sent.bots });
    expect(metrics).toMatch(/^clickstream_aggregator_consumer_lag\{partition="0"\} 0$/m);
    expect(metrics).toMatch(/^clickstream_aggregator_insert_rows_count [1-9]/m);
    const health = await fetch(`${system!.aggregatorUrl}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { partitions: number[] }).partitions).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rebuilds identical results when the rollups are dropped and the whole topic is replayed, then again from a point in time', async () => {
    const before = await rollupSnapshot(system!.clickhouse, db);
    expect(before['raw']!.length).toBe(sent.pageviews + sent.events + sent.bots);
    const middle = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    // a few more, received after `middle`, for the replay from a time
    for (let v = 0; v < 3; v++) expect(await post(system!.ingestUrl, { site: 'shop', url: 'https://shop.example/late-comer' }, uaOf(v))).toBe(202);
    const total = before['raw']!.length + 3;
    await waitUntilStored(system!, total);
    const withLateComers = await rollupSnapshot(system!.clickhouse, db);

    for (const from of [{ earliest: true } as const, { timestamp: middle }]) {
      await system!.stop();
      system = undefined;
      const runtime = await createRuntime(config, logger);
      let plan;
      try {
        plan = await new ReplayService(runtime.kafka, runtime.clickhouse, runtime.config, logger).replay(from);
        // the rollups were rebuilt from what is left: nothing, or what came before `middle`
        const left = await scalar(runtime.clickhouse, `SELECT count() AS n FROM ${db}.events_raw`);
        expect(left).toBe('earliest' in from ? 0 : total - 3);
        expect(Number(plan.records)).toBe(total - left);
      } finally {
        await runtime.close();
      }
      system = await startSystem(config, logger);
      await waitUntilStored(system, total);
      await new Promise((r) => setTimeout(r, 1500));
      const after = await rollupSnapshot(system.clickhouse, db);
      expect(Object.keys(after)).toEqual(Object.keys(withLateComers));
      for (const [table, rows] of Object.entries(withLateComers)) expect(after[table], `${table} after a replay ${JSON.stringify(from)}`).toEqual(rows);
    }
  });

  it('refuses to replay while an aggregator is in the group', async () => {
    const kafka = createKafka({ brokers: system!.config.kafka.brokers!, clientId: 'replay-test', logger });
    await expect(new ReplayService(kafka, system!.clickhouse, system!.config, logger).replay({ earliest: true })).rejects.toThrow(/active member.*stop the aggregator/);
  });
});
