import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_UA, eventually, startTestSystem, storedPageviews, type TestSystem } from '../support/test-system.js';

describe('the aggregator while ClickHouse refuses inserts', () => {
  let system: TestSystem;
  let db: string;

  const post = async (i: number): Promise<number> => {
    const res = await fetch(`${system.ingestUrl}/api/collect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': `${BROWSER_UA} v/${i % 7}` },
      body: JSON.stringify({ site: 'gamma', url: `https://gamma.example/${i}` }),
    });
    await res.text();
    return res.status;
  };
  const scalar = async (query: string): Promise<number> => {
    const [row] = await (await system.clickhouse.query({ query, format: 'JSONEachRow' })).json<{ n: number | string }>();
    return Number(row?.n);
  };
  const health = async (): Promise<{ status: number; body: { status: string; clickhouse: string } }> => {
    const res = await fetch(`${system.aggregatorUrl}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; clickhouse: string } };
  };
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${system.aggregatorUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };

  beforeAll(async () => {
    system = await startTestSystem();
    db = system.config.clickhouse.database;
  });

  afterAll(async () => {
    // whatever happened, let inserts through again so the stop can commit
    await system?.clickhouse.command({ query: `ALTER TABLE ${db}.events_raw MODIFY SETTING parts_to_throw_insert = 3000` }).catch(() => undefined);
    await system?.stop();
    system?.cleanup();
  });

  it('pauses, commits nothing, reports degraded, then resumes and stores every event once', async () => {
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i)));
    expect(first.every((s) => s === 202)).toBe(true);
    await eventually(async () => ((await storedPageviews(system, 'gamma')) === 20 ? true : undefined), 20_000, '20 stored');
    expect((await health()).status).toBe(200);

    // the real engine refuses every insert ("too many parts") while today's partition has a part
    await system.clickhouse.command({ query: `ALTER TABLE ${db}.events_raw MODIFY SETTING parts_to_throw_insert = 1` });
    const second = await Promise.all(Array.from({ length: 30 }, (_, i) => post(100 + i)));
    expect(second.every((s) => s === 202)).toBe(true); // ingest needs Kafka only
    await eventually(async () => ((await health()).status === 503 ? true : undefined), 20_000, 'aggregator /health degraded');
    expect((await health()).body).toMatchObject({ status: 'degraded', clickhouse: 'down' });
    expect(await metric('clickstream_aggregator_clickhouse_up')).toBe(0);
    expect(await metric('clickstream_aggregator_insert_failures_total')).toBeGreaterThan(0);
    // nothing half-stored, nothing committed past what is stored: the history API holds at 20 throughout
    const seenDuringOutage: number[] = [];
    for (const until = Date.now() + 2000; Date.now() < until; ) {
      seenDuringOutage.push(await storedPageviews(system, 'gamma'));
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(new Set(seenDuringOutage)).toEqual(new Set([20]));
    expect(await scalar(`SELECT count() AS n FROM ${db}.events_raw WHERE site = 'gamma'`)).toBe(20);
    expect((await health()).status).toBe(503); // still refusing: the 20 above were read during the outage
    // the 30 refused events stay uncommitted: the group's lag holds them all
    const metricsText = await (await fetch(`${system.aggregatorUrl}/metrics`)).text();
    const lag = [...metricsText.matchAll(/^clickstream_aggregator_consumer_lag\{partition="\d+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(lag).toBe(30);

    await system.clickhouse.command({ query: `ALTER TABLE ${db}.events_raw MODIFY SETTING parts_to_throw_insert = 3000` });
    await eventually(async () => ((await health()).status === 200 ? true : undefined), 30_000, 'aggregator /health ok again');
    await eventually(async () => ((await storedPageviews(system, 'gamma')) === 50 ? true : undefined), 20_000, '50 stored');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await storedPageviews(system, 'gamma')).toBe(50);
    expect(await scalar(`SELECT count() AS n FROM ${db}.events_raw WHERE site = 'gamma'`)).toBe(50);
    expect(await scalar(`SELECT uniqExact(kafka_partition, kafka_offset) AS n FROM ${db}.events_raw WHERE site = 'gamma'`)).toBe(50);
    expect(await scalar(`SELECT sum(pageviews) AS n FROM ${db}.rollup_1m WHERE site = 'gamma'`)).toBe(50);
    expect(await metric('clickstream_aggregator_clickhouse_up')).toBe(1);
  });
});
