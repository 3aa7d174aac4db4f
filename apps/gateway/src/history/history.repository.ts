import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { VISITOR_SKETCH, type ClickHouseClient, type Dimension } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import type { Interval, SessionDimension, TimeRange } from './history-params.js';
import { FILTERED_READ_SETTINGS, filterSql, type Filter } from './filters.js';
import { furthestStepSql, stepConditions, stepMask, type FunnelStep } from './funnel-steps.js';
import type { RevenueSum } from './revenue.repository.js';
import { edges, FROM, HAS_SESSION, STEP, TO, WHOLE_FROM, WHOLE_TO } from './sql-fragments.js';
import { DAY_MS, HOUR_MS, SECOND_MS, wholeUnits } from './whole-units.js';

export interface TimeseriesRow {
  /** Bucket start, epoch milliseconds. */
  t: number;
  pageviews: number;
  visitors: number;
  sessions: number;
  customEvents: number;
}

export interface BreakdownRow {
  value: string;
  count: number;
  /** null for exit pages, which count sessions only. */
  visitors: number | null;
  /** Pages only: mean scroll depth of the page's engagement events, whole percent (null without any). */
  scrollDepth?: number | null;
  /** Pages only: engaged ms per visitor who sent an engagement event for the page (null without any). */
  timeOnPage?: number | null;
  /** Custom events only: their summed revenue per currency (empty when none carried one). */
  revenue?: RevenueSum[];
}

export interface RollupTotals {
  pageviews: number;
  visitors: number;
  customEvents: number;
  /** Page views and events whose User-Agent is a bot's: stored, and counted apart from every other figure. */
  botEvents: number;
}

export interface SessionTotals {
  sessions: number;
  /** Sessions with at most one page view. */
  bounces: number;
  /** Sum of the sessions' durations (newest event time - first event's time), milliseconds. */
  durationMs: number;
}


/**
 * True when every minute of the UTC hour starting at `hour` falls in one bucket of the time zone:
 * the zone's offset is the same at both ends of the hour (no change inside it) and both ends
 * fall in the same bucket. An hour of a zone 5:30 or 5:45 from UTC straddles every local hour
 * and one local midnight a day: those are read by minute.
 */
const inOneBucket = (hour: string, step: string): string =>
  `toStartOfInterval(${hour}, ${step}, {timezone:String}) = toStartOfInterval(${hour} + INTERVAL 59 MINUTE, ${step}, {timezone:String})
   AND timeZoneOffset(toTimeZone(${hour}, {timezone:String})) = timeZoneOffset(toTimeZone(${hour} + INTERVAL 59 MINUTE, {timezone:String}))`;

/** The raw rows of the custom events named {event:String} of a site in [from, to), bots left out. */
const RAW_EVENTS_OF_NAME = `site = {site:String} AND type = 'event' AND name = {event:String} AND NOT is_bot AND event_time >= ${FROM} AND event_time < ${TO}`;

/** A pair of per-dimension tables (day rows and minute rows) and the summed column that ranks their values. */
interface DimensionTables {
  daily: string;
  minutes: string;
  count: string;
}
const BREAKDOWN_TABLES: DimensionTables = { daily: 'breakdown_1d', minutes: 'breakdown_1m', count: 'events' };
const SESSION_TABLES: DimensionTables = { daily: 'sessions_1d', minutes: 'sessions_1m', count: 'sessions' };

/**
 * Parameterized reads of the rollups for the history API: per-minute figures (rollup_1m) with
 * their hourly sums (rollup_1h), per-minute breakdowns (breakdown_1m) with their daily sums
 * (breakdown_1d), session figures per minute and day of their start (sessions_1m, sessions_1d),
 * and the per-second pageviews with their hourly sums (pageviews_1h).
 * A range reads the coarse table for its whole hours or days and the fine one for the rest, so
 * answers equal those of the fine table alone: sums add up, and the visitor sketches merge to
 * the same state whatever the grouping.
 * Rows of the aggregating tables are merged (sum, *Merge, GROUP BY) before use: parts
 * not merged yet hold partial rows of the same key.
 */
@Injectable()
export class HistoryRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /** Pageviews of `site` whose 1-second window starts in [from, to) (both cut to the second). */
  async pageviews(site: string, from: number, to: number): Promise<number> {
    const seconds = { from: Math.floor(from / SECOND_MS) * SECOND_MS, to: Math.floor(to / SECOND_MS) * SECOND_MS };
    const whole = wholeUnits(seconds, HOUR_MS);
    const result = await this.clickhouse.query({
      query: `SELECT sum(n) AS n FROM (
                SELECT sum(pageviews) AS n FROM ${this.db}.pageviews_1h
                WHERE site = {site:String} AND hour >= ${WHOLE_FROM} AND hour < ${WHOLE_TO}
                UNION ALL
                SELECT sum(pageviews) AS n FROM ${this.db}.pageviews_1s
                WHERE site = {site:String} AND ${edges('window_start')}
              )`,
      query_params: { site, from: seconds.from, to: seconds.to, wholeFrom: whole.from, wholeTo: whole.to },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: number | string }>();
    return Number(row?.n ?? 0);
  }

  /**
   * One row per bucket of `interval` in `timezone` from the bucket holding `from` to the last one
   * starting before `to`, empty buckets included (WITH FILL steps in calendar units of the zone,
   * so a day is 23 or 25 hours across a DST change). The minutes of `range` alone are counted.
   */
  async timeseries(site: string, range: TimeRange, interval: Interval, timezone: string): Promise<TimeseriesRow[]> {
    const step = STEP[interval];
    // a minute bucket is never a whole hour: by minute alone
    const whole = interval === 'minute' ? { from: range.from, to: range.from } : wholeUnits(range, HOUR_MS);
    const columns = 'pageviews, visitors, sessions, custom_events';
    const result = await this.clickhouse.query({
      query: `SELECT toUnixTimestamp(bucket) * 1000 AS t, pageviews, visitors, sessions, custom_events
              FROM (
                SELECT toStartOfInterval(at, ${step}, {timezone:String}) AS bucket,
                       sum(pageviews) AS pageviews, ${VISITOR_SKETCH.merge}(visitors) AS visitors,
                       sum(sessions) AS sessions, sum(custom_events) AS custom_events
                FROM (
                  SELECT hour AS at, ${columns} FROM ${this.db}.rollup_1h
                  WHERE site = {site:String} AND hour >= ${WHOLE_FROM} AND hour < ${WHOLE_TO} AND ${inOneBucket('hour', step)}
                  UNION ALL
                  SELECT minute AS at, ${columns} FROM ${this.db}.rollup_1m
                  WHERE site = {site:String} AND minute >= ${FROM} AND minute < ${TO}
                    AND NOT (minute >= ${WHOLE_FROM} AND minute < ${WHOLE_TO} AND ${inOneBucket('toStartOfHour(minute)', step)})
                )
                GROUP BY bucket
                ORDER BY bucket WITH FILL
                  FROM toStartOfInterval(toDateTime(${FROM}), ${step}, {timezone:String})
                  TO toDateTime(${TO}, {timezone:String})
                  STEP ${step}
              )
              ORDER BY bucket`,
      query_params: { site, from: range.from, to: range.to, wholeFrom: whole.from, wholeTo: whole.to, timezone },
      format: 'JSONEachRow',
    });
    type Row = { t: number | string; pageviews: number | string; visitors: number | string; sessions: number | string; custom_events: number | string };
    return (await result.json<Row>()).map((r) => ({
      t: Number(r.t),
      pageviews: Number(r.pageviews),
      visitors: Number(r.visitors),
      sessions: Number(r.sessions),
      customEvents: Number(r.custom_events),
    }));
  }

  /** Page views (custom events for 'event') and visitors per value of a dimension, most first. */
  async breakdown(site: string, dimension: Dimension, range: TimeRange, limit: number): Promise<BreakdownRow[]> {
    return this.topValues(BREAKDOWN_TABLES, site, dimension, range, limit);
  }

  /**
   * Sessions that started in the range per entry or exit page, most first; visitors for entry
   * pages only (a visitor cannot leave the sketch of a page that stopped being their exit page).
   */
  async sessionBreakdown(site: string, dimension: SessionDimension, range: TimeRange, limit: number): Promise<BreakdownRow[]> {
    const found = await this.topValues(SESSION_TABLES, site, dimension, range, limit);
    return dimension === 'exitPage' ? found.map((r) => ({ ...r, visitors: null })) : found;
  }

  /**
   * The values of a dimension with the highest summed `count` in the range, from a table of day
   * rows for its whole days and one of minute rows for the rest. The top values are chosen by
   * count first; only their visitor sketches are merged. A value whose count sums to 0 (an exit
   * page every session moved on from) is not listed.
   */
  private async topValues(tables: DimensionTables, site: string, dimension: string, range: TimeRange, limit: number): Promise<BreakdownRow[]> {
    const whole = wholeUnits(range, DAY_MS);
    const result = await this.clickhouse.query({
      query: `SELECT value, sum(${tables.count}) AS count, ${VISITOR_SKETCH.merge}(visitors) AS visitors
              FROM (${this.daysAndEdges(tables, `value, ${tables.count}, visitors`)})
              WHERE value IN (
                SELECT value FROM (${this.daysAndEdges(tables, `value, ${tables.count}`)})
                GROUP BY value
                HAVING sum(${tables.count}) > 0
                ORDER BY sum(${tables.count}) DESC, value ASC
                LIMIT {limit:UInt32}
              )
              GROUP BY value
              ORDER BY count DESC, value ASC`,
      query_params: { site, dimension, from: range.from, to: range.to, wholeFrom: whole.from, wholeTo: whole.to, limit },
      format: 'JSONEachRow',
    });
    return toBreakdownRows(await result.json<RawBreakdownRow>());
  }

  /**
   * The rows of one dimension ({dimension:String}) of a day table for the whole days of the range
   * and of its minute table for the rest, with the given columns.
   */
  private daysAndEdges(tables: DimensionTables, columns: string): string {
    return `
      SELECT ${columns} FROM ${this.db}.${tables.daily}
      WHERE site = {site:String} AND dimension = {dimension:String} AND day >= ${WHOLE_FROM} AND day < ${WHOLE_TO}
      UNION ALL
      SELECT ${columns} FROM ${this.db}.${tables.minutes}
      WHERE site = {site:String} AND dimension = {dimension:String} AND ${edges('minute')}`;
  }

  async rollupTotals(site: string, range: TimeRange): Promise<RollupTotals> {
    const whole = wholeUnits(range, HOUR_MS);
    const result = await this.clickhouse.query({
      query: `SELECT sum(pageviews) AS pageviews, ${VISITOR_SKETCH.merge}(visitors) AS visitors, sum(custom_events) AS custom_events, sum(bot_events) AS bot_events
              FROM (
                SELECT pageviews, visitors, custom_events, bot_events FROM ${this.db}.rollup_1h
                WHERE site = {site:String} AND hour >= ${WHOLE_FROM} AND hour < ${WHOLE_TO}
                UNION ALL
                SELECT pageviews, visitors, custom_events, bot_events FROM ${this.db}.rollup_1m
                WHERE site = {site:String} AND ${edges('minute')}
              )`,
      query_params: { site, from: range.from, to: range.to, wholeFrom: whole.from, wholeTo: whole.to },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ pageviews: number | string; visitors: number | string; custom_events: number | string; bot_events: number | string }>();
    return { pageviews: Number(row?.pageviews ?? 0), visitors: Number(row?.visitors ?? 0), customEvents: Number(row?.custom_events ?? 0), botEvents: Number(row?.bot_events ?? 0) };
  }

  /**
   * The properties custom events named `event` carried in the range, from the raw events (no
   * rollup keeps properties): per property name, the events that carried it and their visitors,
   * most first. Bots are left out, as from every other figure.
   */
  async propertyKeys(site: string, event: string, range: TimeRange, limit: number, filters: readonly Filter[] = []): Promise<PropertyKeyRow[]> {
    const f = filterSql(filters, this.db);
    const result = await this.clickhouse.query({
      query: `SELECT key, count() AS count, ${VISITOR_SKETCH.count}(visitor_id) AS visitors
              FROM ${this.db}.events_raw
              ARRAY JOIN mapKeys(props) AS key
              WHERE ${RAW_EVENTS_OF_NAME} AND ${f.rows}
              GROUP BY key
              ORDER BY count DESC, key ASC
              LIMIT {limit:UInt32}`,
      query_params: { site, event, from: range.from, to: range.to, limit, ...f.params },
      clickhouse_settings: FILTERED_READ_SETTINGS,
      format: 'JSONEachRow',
    });
    return (await result.json<RawPropertyKeyRow>()).map((r) => ({ key: r.key, count: Number(r.count), visitors: Number(r.visitors) }));
  }

  /** The values of one property of the custom events named `event` in the range: events and visitors per value, most first. */
  async propertyValues(site: string, event: string, key: string, range: TimeRange, limit: number, filters: readonly Filter[] = []): Promise<BreakdownRow[]> {
    const f = filterSql(filters, this.db);
    const result = await this.clickhouse.query({
      query: `SELECT props[{key:String}] AS value, count() AS count, ${VISITOR_SKETCH.count}(visitor_id) AS visitors
              FROM ${this.db}.events_raw
              WHERE ${RAW_EVENTS_OF_NAME} AND mapContains(props, {key:String}) AND ${f.rows}
              GROUP BY value
              ORDER BY count DESC, value ASC
              LIMIT {limit:UInt32}`,
      query_params: { site, event, key, from: range.from, to: range.to, limit, ...f.params },
      clickhouse_settings: FILTERED_READ_SETTINGS,
      format: 'JSONEachRow',
    });
    return toBreakdownRows(await result.json<RawBreakdownRow>());
  }

  /**
   * Visitors who reached each step of a funnel in the range: in one session, the steps in their
   * order, each at a later instant than the one before, so one event never fills two steps, and
   * other events between them allowed (furthestStepSql says how). A visitor counts at the
   * furthest step any of their sessions reached, and at every step before it. Read from the raw
   * events (exact visitor counts), sessions and visitors grouped by their 16-byte keys (migration
   * 14); bots left out. Under filters, the sessions holding a selected event alone.
   */
  async funnel(site: string, steps: readonly FunnelStep[], range: TimeRange, filters: readonly Filter[] = []): Promise<number[]> {
    const { conditions, params } = stepConditions(steps);
    const f = filterSql(filters, this.db);
    const reached = steps.map((_s, i) => `countIf(level >= ${i + 1}) AS s${i}`).join(', ');
    const result = await this.clickhouse.query({
      query: `SELECT ${reached}
              FROM (
                SELECT visitor_key, max(level) AS level
                FROM (
                  -- a session is one visitor's: its key alone (its id as a UUID) is narrower than both
                  SELECT any(visitor_key) AS visitor_key, groupArray(event) AS events,
                         ${furthestStepSql(steps.length, 'events')} AS level
                  FROM (
                    SELECT visitor_key, session_key, ${stepMask(conditions)} AS mask,
                           bitShiftLeft(toUInt64(toUnixTimestamp64Milli(event_time)), 8) + mask AS event
                    FROM ${this.db}.events_raw
                    WHERE site = {site:String} AND NOT is_bot AND ${HAS_SESSION}
                      AND event_time >= ${FROM} AND event_time < ${TO}
                      -- an event of no step changes no session's level: left out before the grouping
                      AND mask != 0
                      AND ${f.inSelectedSessions}
                  )
                  GROUP BY session_key
                )
                GROUP BY visitor_key
              )`,
      query_params: { site, from: range.from, to: range.to, ...params, ...f.params },
      clickhouse_settings: FILTERED_READ_SETTINGS,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<Record<string, number | string>>();
    return steps.map((_s, i) => Number(row?.[`s${i}`] ?? 0));
  }

  /** Sessions that started in the range: how many, how many bounced, and their summed duration. */
  async sessionTotals(site: string, range: TimeRange): Promise<SessionTotals> {
    const whole = wholeUnits(range, DAY_MS);
    // the totals are the rows of dimension '' (whose value is always '')
    const result = await this.clickhouse.query({
      query: `SELECT sum(sessions) AS sessions, sum(bounces) AS bounces, sum(duration_ms) AS duration_ms
              FROM (${this.daysAndEdges(SESSION_TABLES, 'sessions, bounces, duration_ms')})`,
      query_params: { site, dimension: '', from: range.from, to: range.to, wholeFrom: whole.from, wholeTo: whole.to },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ sessions: number | string; bounces: number | string; duration_ms: number | string }>();
    return { sessions: Number(row?.sessions ?? 0), bounces: Number(row?.bounces ?? 0), durationMs: Number(row?.duration_ms ?? 0) };
  }
}

export interface PropertyKeyRow {
  key: string;
  /** Custom events of the name that carry the property. */
  count: number;
  visitors: number;
}

type RawPropertyKeyRow = { key: string; count: number | string; visitors: number | string };

type RawBreakdownRow = { value: string; count: number | string; visitors: number | string };

const toBreakdownRows = (rows: RawBreakdownRow[]): BreakdownRow[] => rows.map((r) => ({ value: r.value, count: Number(r.count), visitors: Number(r.visitors) }));
