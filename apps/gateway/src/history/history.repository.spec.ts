import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, toDateTime64, VISITOR_SKETCH, type ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import type { Dimension } from '@clickstream/stream';
import type { Interval, SessionDimension, TimeRange } from './history-params.js';
import { clickhouseWithFreshDatabases } from '../../../../test/support/own-clickhouse.js';
import { HistoryRepository, type BreakdownRow, type RollupTotals, type SessionTotals, type TimeseriesRow } from './history.repository.js';

const DB = 'spec_history';
/** Session figures come from events stored with their session state (version 7 on): a database of their own. */
const SESSIONS_DB = 'spec_history_sessions';
const SITE = 'shop';
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
// four days across Berlin's change back to winter time (2025-10-26 01:00 UTC)
const START = Date.UTC(2025, 9, 24);
const END = START + 4 * DAY;
const BUSY_DAY = START + DAY;

/** Deterministic numbers in [0, 1), so a failure can be run again. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RawEvent {
  event_id: string;
  site: string;
  type: 'pageview' | 'event';
  name: string;
  url: string;
  hostname: string;
  path: string;
  referrer_domain: string | null;
  country: string | null;
  browser: string;
  device: string;
  is_bot: boolean;
  visitor_id: string;
  event_time: string;
  received_at: string;
  session_id: string;
  session_start: boolean;
  /** What the event changed in its session, as the aggregator's Sessionizer stores it (set after arrival order is known). */
  session_started: string;
  session_pageviews: number;
  previous_exit: string;
  duration_added_ms: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
  /** Arrival order: inserts take events in this order. */
  arrival: number;
}

const PAGES = ['/', '/pricing', '/blog', '/docs', '/checkout', ...Array.from({ length: 30 }, (_, i) => `/p/${i}`)];

/**
 * Sessions of one to six events over the four days, some across an hour or midnight; a burst of
 * one-page sessions on one day (enough visitors that the day's sketches leave exact counting);
 * and one session whose earliest event arrives hours after its first one (out of order): it is
 * still filed under its first event's time, with its first page view as entry page.
 * A session is a bot's or a human's as a whole, as a visitor is.
 */
function generate(): { events: RawEvent[]; lateSessionStart: number } {
  const rnd = random(7);
  const events: RawEvent[] = [];
  let n = 0;
  /** `path` given: a human page view of that path. */
  const add = (session: string, bot: boolean, time: number, visitor: string, arrival: number, path?: string): void => {
    const pageview = path !== undefined || rnd() < 0.85;
    events.push({
      event_id: `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, '0')}`,
      site: SITE,
      type: pageview ? 'pageview' : 'event',
      name: pageview ? '' : ['signup', 'download', 'play'][Math.floor(rnd() * 3)]!,
      url: `https://shop.example${path ?? '/'}`,
      hostname: 'shop.example',
      path: path ?? PAGES[Math.floor(rnd() ** 2 * PAGES.length)]!,
      referrer_domain: [null, null, 'search.example', 'news.example', 'social.example'][Math.floor(rnd() * 5)]!,
      country: [null, 'DE', 'IN', 'NP', 'US', 'CA'][Math.floor(rnd() * 6)]!,
      browser: ['Chrome', 'Firefox', 'Safari'][Math.floor(rnd() * 3)]!,
      device: ['desktop', 'mobile'][Math.floor(rnd() * 2)]!,
      is_bot: bot,
      visitor_id: visitor,
      event_time: toDateTime64(time),
      received_at: toDateTime64(arrival),
      session_id: session,
      session_start: false,
      session_started: '',
      session_pageviews: 0,
      previous_exit: '',
      duration_added_ms: 0,
      kafka_topic: 'events',
      kafka_partition: 0,
      kafka_offset: 0,
      arrival,
    });
  };
  for (let s = 0; s < 5000; s++) {
    const visitor = `v${Math.floor(rnd() * 4000)}`;
    let time = START + Math.floor(rnd() * (END - START - HOUR));
    const count = 1 + Math.floor(rnd() * 6);
    const bot = rnd() < 0.04;
    for (let i = 0; i < count; i++) {
      add(`s${s}`, bot, time, visitor, time + Math.floor(rnd() * 20_000));
      time += Math.floor(rnd() * 25 * MIN);
    }
  }
  for (let s = 0; s < 12_000; s++) {
    const time = BUSY_DAY + Math.floor(rnd() * DAY);
    add(`b${s}`, false, time, `w${s}`, time + 1000, '/');
  }
  const lateSessionStart = START + 2 * DAY + 13 * HOUR + 17 * MIN + 5000;
  add('late', false, lateSessionStart + 3 * HOUR, 'v-late', lateSessionStart + 3 * HOUR, '/pricing');
  add('late', false, lateSessionStart, 'v-late', lateSessionStart + 30 * HOUR, '/docs');
  events.sort((a, b) => a.arrival - b.arrival);
  events.forEach((e, i) => (e.kafka_offset = i));
  const sessions = new Map<string, { started: string; newest: number; pageviews: number; exit: string }>();
  for (const e of events) {
    const time = Date.parse(`${e.event_time.replace(' ', 'T')}Z`);
    let state = sessions.get(e.session_id);
    e.session_start = state === undefined;
    if (!state) sessions.set(e.session_id, (state = { started: e.event_time, newest: time, pageviews: 0, exit: '' }));
    e.session_started = state.started;
    e.previous_exit = state.exit;
    e.duration_added_ms = Math.max(0, time - state.newest);
    state.newest = Math.max(state.newest, time);
    if (e.type === 'pageview') {
      state.pageviews += 1;
      state.exit = e.path;
    }
    e.session_pageviews = state.pageviews;
  }
  return { events, lateSessionStart };
}

/** What the history API answered before the hourly and daily tables: the minute and second tables alone. */
class MinuteReads {
  constructor(private readonly clickhouse: ClickHouseClient) {}

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    return (await this.clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  }

  async pageviews(from: number, to: number): Promise<number> {
    const [row] = await this.rows<{ n: string | number }>(
      `SELECT sum(pageviews) AS n FROM ${DB}.pageviews_1s WHERE site = {site:String}
         AND window_start >= toDateTime({from:DateTime64(3, 'UTC')}) AND window_start < toDateTime({to:DateTime64(3, 'UTC')})`,
      { site: SITE, from: toDateTime64(from), to: toDateTime64(to) },
    );
    return Number(row?.n ?? 0);
  }

  async timeseries(range: TimeRange, interval: Interval, timezone: string): Promise<TimeseriesRow[]> {
    const step = { minute: 'INTERVAL 1 MINUTE', hour: 'INTERVAL 1 HOUR', day: 'INTERVAL 1 DAY' }[interval];
    const rows = await this.rows<Record<string, string | number>>(
      `SELECT toUnixTimestamp(bucket) * 1000 AS t, pageviews, visitors, sessions, custom_events FROM (
         SELECT toStartOfInterval(minute, ${step}, {timezone:String}) AS bucket, sum(pageviews) AS pageviews, ${VISITOR_SKETCH.merge}(visitors) AS visitors,
                sum(sessions) AS sessions, sum(custom_events) AS custom_events
         FROM ${DB}.rollup_1m
         WHERE site = {site:String} AND minute >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND minute < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         GROUP BY bucket
         ORDER BY bucket WITH FILL FROM toStartOfInterval(toDateTime(fromUnixTimestamp64Milli({from:Int64}, 'UTC')), ${step}, {timezone:String})
           TO toDateTime(fromUnixTimestamp64Milli({to:Int64}, 'UTC'), {timezone:String}) STEP ${step}
       ) ORDER BY bucket`,
      { site: SITE, from: range.from, to: range.to, timezone },
    );
    return rows.map((r) => ({ t: Number(r['t']), pageviews: Number(r['pageviews']), visitors: Number(r['visitors']), sessions: Number(r['sessions']), customEvents: Number(r['custom_events']) }));
  }

  async breakdown(dimension: Dimension, range: TimeRange, limit: number): Promise<BreakdownRow[]> {
    const rows = await this.rows<Record<string, string | number>>(
      `SELECT value, sum(events) AS count, ${VISITOR_SKETCH.merge}(visitors) AS visitors FROM ${DB}.breakdown_1m
       WHERE site = {site:String} AND dimension = {dimension:String}
         AND minute >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND minute < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
       GROUP BY value ORDER BY count DESC, value ASC LIMIT {limit:UInt32}`,
      { site: SITE, dimension, from: range.from, to: range.to, limit },
    );
    return rows.map((r) => ({ value: String(r['value']), count: Number(r['count']), visitors: Number(r['visitors']) }));
  }

  async rollupTotals(range: TimeRange): Promise<RollupTotals> {
    const [row] = await this.rows<Record<string, string | number>>(
      `SELECT sum(pageviews) AS pageviews, ${VISITOR_SKETCH.merge}(visitors) AS visitors, sum(custom_events) AS custom_events, sum(bot_events) AS bot_events FROM ${DB}.rollup_1m
       WHERE site = {site:String} AND minute >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND minute < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`,
      { site: SITE, from: range.from, to: range.to },
    );
    return { pageviews: Number(row?.['pageviews'] ?? 0), visitors: Number(row?.['visitors'] ?? 0), customEvents: Number(row?.['custom_events'] ?? 0), botEvents: Number(row?.['bot_events'] ?? 0) };
  }
}

/**
 * Session figures straight from the raw events of `db`, each session taken whole: filed under the
 * minute of its first event to arrive, its page views, newest event time, and first and last page
 * views in arrival order.
 */
class RawSessionReads {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly db: string,
  ) {}

  private sessions(range: TimeRange): string {
    return `SELECT any(visitor_id) AS visitor, argMin(event_time, kafka_offset) AS started, max(event_time) AS newest, countIf(type = 'pageview') AS pv,
                   argMinIf(path, kafka_offset, type = 'pageview') AS entry, argMaxIf(path, kafka_offset, type = 'pageview') AS exit
            FROM ${this.db}.events_raw WHERE site = {site:String} AND NOT is_bot GROUP BY session_id
            HAVING toStartOfMinute(started) >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND toStartOfMinute(started) < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
  }

  async sessionBreakdown(dimension: SessionDimension, range: TimeRange, limit: number): Promise<BreakdownRow[]> {
    const page = dimension === 'entryPage' ? 'entry' : 'exit';
    const rows = (await (
      await this.clickhouse.query({
        query: `SELECT ${page} AS value, count() AS count, ${VISITOR_SKETCH.count}(visitor) AS visitors FROM (${this.sessions(range)})
                WHERE value != '' GROUP BY value ORDER BY count DESC, value ASC LIMIT {limit:UInt32}`,
        query_params: { site: SITE, from: range.from, to: range.to, limit },
        format: 'JSONEachRow',
      })
    ).json<Record<string, string | number>>());
    return rows.map((r) => ({ value: String(r['value']), count: Number(r['count']), visitors: dimension === 'entryPage' ? Number(r['visitors']) : null }));
  }

  async sessionTotals(range: TimeRange): Promise<SessionTotals> {
    const [row] = await (
      await this.clickhouse.query({
        query: `SELECT count() AS sessions, countIf(pv <= 1) AS bounces, sum(dateDiff('millisecond', started, newest)) AS duration_ms FROM (${this.sessions(range)})`,
        query_params: { site: SITE, from: range.from, to: range.to },
        format: 'JSONEachRow',
      })
    ).json<Record<string, string | number>>();
    return { sessions: Number(row?.['sessions'] ?? 0), bounces: Number(row?.['bounces'] ?? 0), durationMs: Number(row?.['duration_ms'] ?? 0) };
  }
}

/** Minute-aligned ranges over the data: ragged at both ends, whole hours and days, within one hour, and some past its ends. */
function ranges(): TimeRange[] {
  const rnd = random(11);
  const minute = (ms: number): number => Math.floor(ms / MIN) * MIN;
  const list: TimeRange[] = [
    { from: START, to: END },
    { from: START - 3 * HOUR, to: END + 2 * DAY },
    { from: BUSY_DAY, to: BUSY_DAY + DAY },
    { from: BUSY_DAY - 7 * MIN, to: BUSY_DAY + DAY + 13 * MIN },
    { from: BUSY_DAY + 5 * HOUR + 3 * MIN, to: BUSY_DAY + 5 * HOUR + 58 * MIN },
    { from: BUSY_DAY + 5 * HOUR + 3 * MIN, to: BUSY_DAY + 7 * HOUR + 2 * MIN },
    { from: START + 2 * DAY + 30 * MIN, to: START + 3 * DAY + 18 * HOUR + 30 * MIN },
  ];
  for (let i = 0; i < 14; i++) {
    const from = minute(START - HOUR + rnd() * (END - START));
    const length = [20 * MIN, 3 * HOUR, 30 * HOUR, 2.5 * DAY][i % 4]! * (0.5 + rnd());
    list.push({ from, to: minute(from + length) + MIN });
  }
  return list;
}

describe('the history reads over hourly and daily tables, on the real ClickHouse engine', () => {
  let clickhouse: ClickHouseClient;
  let repository: HistoryRepository;
  let sessionRepository: HistoryRepository;
  let minutes: MinuteReads;
  let rawSessions: RawSessionReads;
  let lateSessionStart: number;
  let events: RawEvent[];
  const logger = createLogger('silent');

  beforeAll(async () => {
    clickhouse = await clickhouseWithFreshDatabases(DB, SESSIONS_DB);
    repository = new HistoryRepository(clickhouse, { clickhouse: { database: DB } } as AppConfig);
    minutes = new MinuteReads(clickhouse);
    sessionRepository = new HistoryRepository(clickhouse, { clickhouse: { database: SESSIONS_DB } } as AppConfig);
    rawSessions = new RawSessionReads(clickhouse, SESSIONS_DB);
    const generated = generate();
    lateSessionStart = generated.lateSessionStart;
    events = generated.events;
    // half the events stored before the hourly and daily tables exist (they are backfilled), half after (their views fill them)
    await migrate(clickhouse, DB, logger, MIGRATIONS.filter((m) => m.version < 6));
    await migrate(clickhouse, SESSIONS_DB, logger);
    // session figures keep the pieces of every insert apart, as before a background merge: reads must merge them
    for (const table of ['sessions_1m', 'sessions_1d']) await clickhouse.command({ query: `SYSTEM STOP MERGES ${SESSIONS_DB}.${table}` });
    const inserts = 16;
    const size = Math.ceil(generated.events.length / inserts);
    for (let i = 0; i < inserts; i++) {
      if (i === inserts / 2) expect(await migrate(clickhouse, DB, logger)).toEqual([6, 7, 8, 9]);
      const rows = generated.events.slice(i * size, (i + 1) * size).map(({ arrival: _, ...row }) => row);
      const settings = { insert_deduplication_token: `spec-${i}` };
      await clickhouse.insert({ table: `${SESSIONS_DB}.events_raw`, values: rows, format: 'JSONEachRow', clickhouse_settings: settings });
      // before version 7 the raw table has no session state
      const values = i < inserts / 2 ? rows.map(({ session_started: _a, session_pageviews: _b, previous_exit: _c, duration_added_ms: _d, ...row }) => row) : rows;
      await clickhouse.insert({ table: `${DB}.events_raw`, values, format: 'JSONEachRow', clickhouse_settings: settings });
    }
  });

  /** Sessions with an event of a human (bots' events are left out of sessions). */
  const humanSessions = (): Set<string> => new Set(events.filter((e) => !e.is_bot).map((e) => e.session_id));

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('fills the hourly and daily tables, with day sketches past exact counting, and keeps session figures in pieces', async () => {
    const [row] = await (
      await clickhouse.query({
        query: `SELECT (SELECT count() FROM ${DB}.rollup_1h) AS hours, (SELECT count() FROM ${DB}.pageviews_1h) AS pv_hours,
                       (SELECT count() FROM ${DB}.breakdown_1d) AS days,
                       (SELECT max(finalizeAggregation(visitors)) FROM ${DB}.breakdown_1d) AS most_visitors,
                       (SELECT count() - uniqExact(dimension, value, day) FROM ${SESSIONS_DB}.sessions_1d) AS session_pieces`,
        format: 'JSONEachRow',
      })
    ).json<Record<string, number>>();
    expect(Number(row?.['hours'])).toBeGreaterThanOrEqual(96);
    expect(Number(row?.['pv_hours'])).toBeGreaterThanOrEqual(96);
    expect(Number(row?.['days'])).toBeGreaterThan(100);
    expect(Number(row?.['most_visitors'])).toBeGreaterThan(10_000);
    expect(Number(row?.['session_pieces'])).toBeGreaterThan(100);
  });

  it('counts the same pageviews as the per-second table for ranges cut anywhere, to the millisecond', async () => {
    const rnd = random(3);
    const cases: [number, number][] = [
      [0, END + DAY],
      [START, END],
      [BUSY_DAY + 1234, BUSY_DAY + 4 * HOUR + 999],
      [BUSY_DAY + 10 * MIN + 500, BUSY_DAY + 40 * MIN + 1],
      [BUSY_DAY + 7, BUSY_DAY + 8],
    ];
    for (let i = 0; i < 12; i++) {
      const from = START + Math.floor(rnd() * 3 * DAY);
      cases.push([from, from + 1 + Math.floor(rnd() * 1.5 * DAY)]);
    }
    for (const [from, to] of cases) expect(await repository.pageviews(SITE, from, to), `${from}..${to}`).toBe(await minutes.pageviews(from, to));
    expect(await repository.pageviews(SITE, 0, END + DAY)).toBe(events.filter((e) => e.type === 'pageview' && !e.is_bot).length);
  });

  it('gives the same totals as the minute table, and the same session figures as the raw events, short and long ranges alike', async () => {
    for (const range of ranges()) {
      const label = `${new Date(range.from).toISOString()}..${new Date(range.to).toISOString()}`;
      expect(await repository.rollupTotals(SITE, range), label).toEqual(await minutes.rollupTotals(range));
      expect(await sessionRepository.sessionTotals(SITE, range), label).toEqual(await rawSessions.sessionTotals(range));
    }
    const all = await sessionRepository.sessionTotals(SITE, { from: START, to: END });
    expect(all.sessions).toBe(humanSessions().size);
    expect(all.bounces).toBeGreaterThan(12_000);
    expect(all.durationMs).toBeGreaterThan(0);
  });

  it('files a session under its first event to arrive, with that page view as entry, even when an older event arrives later', async () => {
    const flagged = lateSessionStart + 3 * HOUR;
    const around = { from: Math.floor(flagged / MIN) * MIN - 30 * MIN, to: Math.floor(flagged / MIN) * MIN + 30 * MIN };
    const atOlderEvent = { from: Math.floor(lateSessionStart / MIN) * MIN, to: Math.floor(lateSessionStart / MIN) * MIN + MIN };
    for (const range of [around, atOlderEvent]) expect(await sessionRepository.sessionTotals(SITE, range)).toEqual(await rawSessions.sessionTotals(range));
    const atFirst = { from: Math.floor(flagged / MIN) * MIN, to: Math.floor(flagged / MIN) * MIN + MIN };
    for (const range of [atFirst, atOlderEvent]) {
      for (const dimension of ['entryPage', 'exitPage'] as const) {
        expect(await sessionRepository.sessionBreakdown(SITE, dimension, range, 1000)).toEqual(await rawSessions.sessionBreakdown(dimension, range, 1000));
      }
    }
    const pages = async (dimension: SessionDimension) => (await sessionRepository.sessionBreakdown(SITE, dimension, atFirst, 1000)).map((r) => r.value);
    expect(await pages('entryPage')).toContain('/pricing');
    expect(await pages('exitPage')).toContain('/docs');
  });

  it('gives the same breakdowns as the minute table, top rows and ties included, for every limit', async () => {
    for (const range of ranges()) {
      for (const dimension of ['page', 'referrer', 'country', 'event'] as const) {
        for (const limit of [1, 3, 1000]) {
          expect(await repository.breakdown(SITE, dimension, range, limit), `${dimension} ${limit} ${range.from}..${range.to}`).toEqual(await minutes.breakdown(dimension, range, limit));
        }
      }
    }
    const [top] = await repository.breakdown(SITE, 'page', { from: START, to: END }, 1);
    expect(top).toMatchObject({ value: '/' });
    expect(top!.visitors).toBeGreaterThan(12_000 * 0.98);
  });

  it('gives the same entry and exit pages as the raw events, top rows and ties included', async () => {
    for (const range of ranges()) {
      for (const dimension of ['entryPage', 'exitPage'] as const) {
        for (const limit of [1, 10]) {
          expect(await sessionRepository.sessionBreakdown(SITE, dimension, range, limit), `${dimension} ${limit} ${range.from}..${range.to}`).toEqual(
            await rawSessions.sessionBreakdown(dimension, range, limit),
          );
        }
      }
    }
  });

  it('gives the same hourly and daily series as the minute table in zones whole hours, half hours and three quarters off UTC, across a DST change', async () => {
    const zones = ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe'];
    const cases = ranges().filter((r) => r.to - r.from >= HOUR);
    for (const timezone of zones) {
      for (const range of cases) {
        for (const interval of ['hour', 'day'] as const) {
          const points = await repository.timeseries(SITE, range, interval, timezone);
          expect(points, `${timezone} ${interval} ${range.from}..${range.to}`).toEqual(await minutes.timeseries(range, interval, timezone));
        }
      }
    }
    // Kolkata's days start at 18:30 UTC: the busy UTC day spreads over two of them
    const kolkata = await repository.timeseries(SITE, { from: BUSY_DAY - DAY, to: BUSY_DAY + 2 * DAY }, 'day', 'Asia/Kolkata');
    expect(kolkata.map((p) => new Date(p.t).toISOString().slice(11, 16))).toEqual(['18:30', '18:30', '18:30', '18:30']);
    expect(kolkata[1]!.pageviews).toBeGreaterThan(kolkata[0]!.pageviews);
  });

  it('reads minutes by the minute', async () => {
    const range = { from: BUSY_DAY + 3 * HOUR + 17 * MIN, to: BUSY_DAY + 6 * HOUR + 2 * MIN };
    expect(await repository.timeseries(SITE, range, 'minute', 'Asia/Kolkata')).toEqual(await minutes.timeseries(range, 'minute', 'Asia/Kolkata'));
  });
});
