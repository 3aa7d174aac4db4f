import type { ClickHouseClient } from '@clickstream/clickhouse';
import { queryRows, type BenchContext } from '../support/bench-context.js';
import { goal, type Goal } from '../support/goals.js';
import { runPhase, type PhaseResult } from '../support/load-phase.js';
import { percentiles, sleep, type Percentiles } from '../support/stats.js';

/**
 * (5) ClickHouse. Inserts per second per table at a steady load: the aggregator's insert
 * statements (its /metrics) and the parts each table received (block numbers in system.parts,
 * materialized-view targets included; the project's own server keeps no part_log or
 * query_log). Then history-API latency with many raw events stored: rows are generated in
 * ClickHouse (INSERT ... SELECT FROM numbers(), spread over the last 30 days, realistic
 * dimensions) into events_raw, whose materialized views fill the rollups as live inserts do;
 * the history endpoints are then read one request at a time, idle otherwise, with the site's
 * dashboard token.
 */
export const EVENT_TABLES = ['events_raw', 'pageviews_1s', 'pageviews_1h', 'partition_progress', 'rollup_1m', 'rollup_1h', 'breakdown_1m', 'breakdown_1d', 'sessions_1m', 'sessions_1d'] as const;

export interface HistoryEndpoint {
  name: string;
  path: string;
  /** The table the endpoint's query reads (apps/gateway/src/history/history.repository.ts). */
  reads: string;
  latencyMs: Percentiles;
  failures: number;
}

export interface ClickHouseResult {
  steady: PhaseResult;
  /** The busiest table's parts per second at the steady load. */
  maxPartsPerSecond: number;
  loaded: { rows: number; ms: number; rowsPerSecond: number; mergesSettledMs: number | null; rowsByTable: Record<string, number>; partsByTable: Record<string, number> };
  rounds: number;
  endpoints: HistoryEndpoint[];
  overall: Percentiles;
  goals: Goal[];
}

const DAY = 86_400_000;
const CHUNK = 1_000_000;

/** The page of synthetic event `k`, skewed: a few pages take most views. */
const pathOf = (k: string): string => `if(cityHash64(${k}) % 5 = 0, '/', concat('/page/', toString(toUInt32(pow((cityHash64(${k}) % 1000) / 1000, 3) * 200))))`;
/** The referrer domain of a synthetic event whose hash is `h`. */
const referrerOf = (h: string): string => `[NULL, NULL, 'google.com', 'news.ycombinator.com', 't.co', 'reddit.com', 'duckduckgo.com'][${h} % 7 + 1]`;
const RAW = 'events_raw';
const FUNNEL_ROUTE = 'funnel of 4 steps, 30 days';
/** Routes under filters read the raw events (filtered-history.repository.ts); their goal is 250 ms. */
const FILTERED = 'filtered: ';

/** The event time of synthetic event `k`: evenly over the span before the end. */
const timeOf = (k: string): string => `fromUnixTimestamp64Milli(toInt64({end:Int64} - ({total:UInt64} - (${k})) * {span:UInt64} / {total:UInt64}), 'UTC')`;

/**
 * N synthetic events of `site` over the 30 days before `end`, in chunks (each INSERT stays well
 * inside the client's timeout). Each chunk names its own deduplication token in the statement,
 * as the aggregator's inserts do.
 * A session is four consecutive numbers of one visitor, its id a UUID's 36 characters as the
 * aggregator's are (its first event's id), the visitor's 32 hexadecimal digits as ingest's are;
 * each row carries what it changed in its session as the aggregator's Sessionizer would store it
 * (start, page views so far, the exit page it replaced, the time it added), so the session tables
 * fill as from live inserts.
 */
export async function loadRows(clickhouse: Pick<ClickHouseClient, 'command'>, db: string, site: string, rows: number, end: number, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  for (let offset = 0; offset < rows; offset += CHUNK) {
    const n = Math.min(CHUNK, rows - offset);
    const token = `bench-history-${site}-${offset}`;
    await clickhouse.command({
      query: `INSERT INTO ${db}.events_raw (event_id, site, type, name, props, url, hostname, path, referrer_domain, browser, os, device, is_bot, country,
                visitor_id, event_time, received_at, session_id, session_start, session_started, session_pageviews, previous_exit, duration_added_ms,
                entry_page, entry_referrer, kafka_topic, kafka_partition, kafka_offset)
              SETTINGS insert_deduplication_token = '${token}'
              SELECT generateUUIDv4(number) AS event_id, {site:String} AS site,
                if(number % 10 = 9, 'event', 'pageview') AS type,
                -- every tenth number is a custom event, so its number is odd: the name goes by the tens, or two of the four never came
                if(number % 10 = 9, ['signup', 'download', 'play-video', 'add-to-cart'][intDiv(number, 10) % 4 + 1], '') AS name,
                if(number % 10 = 9, map('plan', ['free', 'pro', 'team'][h % 3 + 1]), map()) AS props,
                concat('https://', {site:String}, '.example', path) AS url, concat({site:String}, '.example') AS hostname,
                ${pathOf('number')} AS path,
                ${referrerOf('h')} AS referrer_domain,
                ['Chrome', 'Safari', 'Firefox', 'Edge'][h % 4 + 1] AS browser,
                ['Windows', 'macOS', 'Linux', 'iOS', 'Android'][intDiv(h, 7) % 5 + 1] AS os,
                ['desktop', 'mobile', 'tablet'][intDiv(h, 11) % 3 + 1] AS device,
                cityHash64(intDiv(number, 4)) % 20 = 0 AS is_bot,
                ['US', 'DE', 'FR', 'GB', 'IN', NULL][intDiv(h, 13) % 6 + 1] AS country,
                -- 32 hexadecimal digits, as ingest's visitor ids (the first half of a SHA-256)
                lower(hex(sipHash128(intDiv(number, 4) % 500000))) AS visitor_id,
                ${timeOf('number')} AS event_time,
                event_time AS received_at,
                toString(reinterpretAsUUID(sipHash128(intDiv(number, 4)))) AS session_id, j = 0 AS session_start,
                ${timeOf('number - j')} AS session_started,
                -- number - (number + 1) % 10 is the nearest custom event at or before number
                j + 1 - toUInt32((number + 1) % 10 <= j) AS session_pageviews,
                multiIf(j = 0, '', (number - 1) % 10 != 9, ${pathOf('number - 1')}, j >= 2, ${pathOf('number - 2')}, '') AS previous_exit,
                if(j = 0, 0, toUInt64(toUnixTimestamp64Milli(event_time) - toUnixTimestamp64Milli(${timeOf('number - 1')}))) AS duration_added_ms,
                if(session_pageviews >= 1, ${pathOf('first')}, '') AS entry_page,
                if(session_pageviews >= 1, ifNull(${referrerOf('cityHash64(first)')}, ''), '') AS entry_referrer,
                'bench.history' AS kafka_topic, toUInt16(number % 6) AS kafka_partition, intDiv(number, 6) AS kafka_offset
              -- first: the session's first page view, its first number or the next one when that is a custom event
              FROM (SELECT number, cityHash64(number) AS h, number % 4 AS j, number - j + toUInt32((number - j) % 10 = 9) AS first
                    FROM numbers({offset:UInt64}, {n:UInt64}))`,
      query_params: { site, end, total: rows, span: 30 * DAY, offset, n },
    });
    if (rows > CHUNK) log(`clickhouse: ${offset + n} of ${rows} rows loaded`);
  }
  return performance.now() - started;
}

export async function runClickHouse(ctx: BenchContext): Promise<ClickHouseResult> {
  const db = ctx.system.config.clickhouse.database;
  const steady = await runPhase(ctx, { label: 'steady load', rate: ctx.quick ? 200 : 1000, batch: 1, durationSeconds: ctx.quick ? 3 : 30, drainTimeoutMs: ctx.quick ? 15_000 : 60_000 });
  const perTable = EVENT_TABLES.map((t) => steady.inserts.partsPerSecondByTable[t] ?? 0);
  ctx.log(`clickhouse: ${steady.inserts.statementsPerSecond} insert statements/s; parts/s per table ${EVENT_TABLES.map((t, i) => `${t} ${perTable[i]}`).join(', ')}`);

  const rows = ctx.quick ? 100_000 : 10_000_000;
  const site = await ctx.createSite('hist');
  const end = Date.now();
  const ms = await loadRows(ctx.system.clickhouse, db, site.id, rows, end, ctx.log);
  ctx.log(`clickhouse: ${rows} rows loaded in ${Math.round(ms)} ms`);
  // merges start a moment after the inserts: settled means none running for 3 s in a row
  const settleStarted = performance.now();
  let mergesSettledMs: number | null = null;
  let quietSince: number | undefined;
  while (performance.now() - settleStarted < (ctx.quick ? 5000 : 120_000)) {
    const [m] = await queryRows<{ n: number | string }>(ctx, `SELECT count() AS n FROM system.merges WHERE database = {db:String}`, { db });
    if (Number(m?.n ?? 0) > 0) quietSince = undefined;
    else if (quietSince === undefined) quietSince = performance.now();
    else if (performance.now() - quietSince >= 3000) {
      mergesSettledMs = Math.round(quietSince - settleStarted);
      break;
    }
    await sleep(500);
  }
  const counts = await Promise.all(EVENT_TABLES.map(async (t) => [t, Number((await queryRows<{ n: number | string }>(ctx, `SELECT count() AS n FROM ${db}.${t}`))[0]?.n ?? 0)] as const));
  const parts = await queryRows<{ table: string; n: number | string }>(ctx, `SELECT table, count() AS n FROM system.parts WHERE database = {db:String} AND active GROUP BY table`, { db });

  const now = Date.now();
  const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const base = `${ctx.system.gatewayUrl}/api/sites/${site.id}`;
  const month = { from: now - 30 * DAY, to: now };
  const paths: { name: string; path: string; reads: string }[] = [
    { name: 'pageviews, today', path: '/pageviews', reads: 'pageviews_1h, pageviews_1s' },
    { name: 'pageviews, 30 days', path: `/pageviews?${q(month)}`, reads: 'pageviews_1h, pageviews_1s' },
    { name: 'timeseries by minute, 24 hours', path: `/timeseries?${q({ interval: 'minute', from: now - DAY, to: now })}`, reads: 'rollup_1m' },
    { name: 'timeseries by hour, 7 days', path: `/timeseries?${q({ interval: 'hour', from: now - 7 * DAY, to: now })}`, reads: 'rollup_1h, rollup_1m' },
    { name: 'timeseries by day, 30 days, Europe/Berlin', path: `/timeseries?${q({ interval: 'day', timezone: 'Europe/Berlin', ...month })}`, reads: 'rollup_1h, rollup_1m' },
    { name: 'breakdown by page, 30 days', path: `/breakdown?${q({ dimension: 'page', ...month })}`, reads: 'breakdown_1d, breakdown_1m, engagement_1d, events_raw of part days' },
    { name: 'breakdown by referrer, 30 days', path: `/breakdown?${q({ dimension: 'referrer', ...month })}`, reads: 'breakdown_1d, breakdown_1m' },
    { name: 'breakdown by custom event, 30 days', path: `/breakdown?${q({ dimension: 'event', ...month })}`, reads: 'breakdown_1d, breakdown_1m, revenue_1d, events_raw of part days' },
    { name: 'breakdown by entry page, 30 days', path: `/breakdown?${q({ dimension: 'entryPage', ...month })}`, reads: 'sessions_1d, sessions_1m' },
    { name: 'breakdown by exit page, 30 days', path: `/breakdown?${q({ dimension: 'exitPage', ...month })}`, reads: 'sessions_1d, sessions_1m' },
    { name: 'totals, today', path: '/totals', reads: 'rollup_1h, rollup_1m, sessions_1d, sessions_1m' },
    { name: 'totals, 30 days', path: `/totals?${q(month)}`, reads: 'rollup_1h, rollup_1m, sessions_1d, sessions_1m' },
    // questions the rollups cannot answer, read from the raw events
    { name: FUNNEL_ROUTE, path: `/funnel?${q(month)}&${['page:/', 'page:/page/*', 'page:/page/1*', 'event:signup'].map((st) => `step=${encodeURIComponent(st)}`).join('&')}`, reads: RAW },
    { name: 'properties of a custom event, 30 days', path: `/properties?${q({ event: 'signup', ...month })}`, reads: RAW },
    { name: 'goal conversions (a page and an event), 30 days', path: `/conversions?${q(month)}`, reads: `${RAW}, rollup_1h, rollup_1m` },
    // filters: a visit's source (a session filter), an event's own values (row filters), two at once
    { name: `${FILTERED}totals, 30 days, referrer is google.com`, path: `/totals?${q({ ...month, filter: 'referrer==google.com' })}`, reads: RAW },
    { name: `${FILTERED}breakdown by page, 30 days, referrer is google.com`, path: `/breakdown?${q({ dimension: 'page', ...month, filter: 'referrer==google.com' })}`, reads: RAW },
    { name: `${FILTERED}totals, 30 days, page is /page/1`, path: `/totals?${q({ ...month, filter: 'page==/page/1' })}`, reads: RAW },
    { name: `${FILTERED}breakdown by referrer, 30 days, country DE and device mobile`, path: `/breakdown?${q({ dimension: 'referrer', ...month })}&filter=country%3D%3DDE&filter=device%3D%3Dmobile`, reads: RAW },
    { name: `${FILTERED}breakdown by country, 30 days, browser contains fire`, path: `/breakdown?${q({ dimension: 'country', ...month, filter: 'browser~fire' })}`, reads: RAW },
    { name: `${FILTERED}timeseries by day, 30 days, page is /page/1`, path: `/timeseries?${q({ interval: 'day', ...month, filter: 'page==/page/1' })}`, reads: RAW },
    { name: `${FILTERED}timeseries by day, 30 days, referrer is google.com`, path: `/timeseries?${q({ interval: 'day', ...month, filter: 'referrer==google.com' })}`, reads: RAW },
  ];
  for (const target of [{ page: '/page/1*' }, { event: 'signup' }]) {
    const res = await fetch(`${base}/goals`, { method: 'POST', headers: { Authorization: `Bearer ${ctx.system.admin.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(target) });
    if (res.status !== 201) throw new Error(`adding a goal: ${res.status} ${await res.text()}`);
  }
  const rounds = ctx.quick ? 3 : 20;
  const latencies = new Map<string, number[]>(paths.map((p) => [p.name, []]));
  const failures = new Map<string, number>();
  const headers = { Authorization: `Bearer ${site.token}` };
  // one warm-up round: the first reads load marks and caches, as after any restart
  for (const p of paths) await (await fetch(base + p.path, { headers })).arrayBuffer();
  for (let round = 0; round < rounds; round++) {
    for (const p of paths) {
      const at = performance.now();
      const res = await fetch(base + p.path, { headers });
      await res.arrayBuffer();
      const elapsed = performance.now() - at;
      if (res.status === 200) latencies.get(p.name)!.push(elapsed);
      else failures.set(p.name, (failures.get(p.name) ?? 0) + 1);
    }
  }
  const endpoints = paths.map((p) => ({ ...p, latencyMs: percentiles(latencies.get(p.name)!), failures: failures.get(p.name) ?? 0 }));
  // the goal of 100 ms is for the reads of the rollups; the raw-event questions have their own
  const overall = percentiles(paths.filter((p) => p.reads !== RAW && !p.reads.startsWith(RAW)).flatMap((p) => latencies.get(p.name)!));
  const funnelP95 = endpoints.find((e) => e.name === FUNNEL_ROUTE)?.latencyMs.p95 ?? null;
  const filtered = percentiles(paths.filter((p) => p.name.startsWith(FILTERED) && !p.name.includes('timeseries')).flatMap((p) => latencies.get(p.name)!));
  ctx.log(`clickhouse: filtered totals and breakdowns over ${rows} rows: p50 ${filtered.p50} ms, p95 ${filtered.p95} ms`);
  ctx.log(`clickhouse: history API over ${rows} rows: p50 ${overall.p50} ms, p95 ${overall.p95} ms`);
  const maxPartsPerSecond = Math.max(...perTable);
  return {
    steady,
    maxPartsPerSecond,
    loaded: {
      rows,
      ms: Math.round(ms),
      rowsPerSecond: Math.round(rows / (ms / 1000)),
      mergesSettledMs,
      rowsByTable: Object.fromEntries(counts),
      partsByTable: Object.fromEntries(parts.filter((p) => (EVENT_TABLES as readonly string[]).includes(p.table)).map((p) => [p.table, Number(p.n)])),
    },
    rounds,
    endpoints,
    overall,
    goals: [
      goal(`ClickHouse parts per second, busiest table, at ${steady.rate} events/s`, maxPartsPerSecond, '<=', 2, '/s'),
      goal(`history API p95 over ${rows.toLocaleString('en-US')} raw events`, overall.p95, '<=', 100, 'ms'),
      goal(`4-step funnel over 30 days p95 over ${rows.toLocaleString('en-US')} raw events`, funnelP95, '<=', 500, 'ms'),
      goal(`filtered totals and breakdowns over 30 days p95 over ${rows.toLocaleString('en-US')} raw events`, filtered.p95, '<=', 250, 'ms'),
    ],
  };
}
