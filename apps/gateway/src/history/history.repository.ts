import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import type { Dimension } from '@clickstream/stream';
import type { Interval, SessionDimension, TimeRange } from './history-params.js';

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
  visitors: number;
}

export interface RollupTotals {
  pageviews: number;
  visitors: number;
  customEvents: number;
}

export interface SessionTotals {
  sessions: number;
  /** Sessions with at most one page view. */
  bounces: number;
  /** Sum of (ended - started) over the sessions, milliseconds. */
  durationMs: number;
}

// Fixed SQL per interval: the interval is one of three validated names, never user text in SQL.
const STEP: Readonly<Record<Interval, string>> = { minute: 'INTERVAL 1 MINUTE', hour: 'INTERVAL 1 HOUR', day: 'INTERVAL 1 DAY' };
const PAGE_OF: Readonly<Record<SessionDimension, string>> = { entryPage: 'argMinMerge(entry_page)', exitPage: 'argMaxMerge(exit_page)' };

const FROM = `fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;
const TO = `fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

/**
 * Parameterized reads of the rollups for the history API: per-minute figures (rollup_1m),
 * per-minute breakdowns (breakdown_1m), sessions, and the per-second pageviews.
 * Rows of the aggregating tables are merged (sum, *Merge, GROUP BY) before use: parts not
 * merged yet hold partial rows of the same key.
 */
@Injectable()
export class HistoryRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /** Pageviews of `site` whose 1-second window starts in [from, to). */
  async pageviews(site: string, from: number, to: number): Promise<number> {
    const result = await this.clickhouse.query({
      query: `SELECT sum(pageviews) AS n FROM ${this.db}.pageviews_1s
              WHERE site = {site:String}
                AND window_start >= toDateTime({from:DateTime64(3, 'UTC')}) AND window_start < toDateTime({to:DateTime64(3, 'UTC')})`,
      query_params: { site, from: toDateTime64(from), to: toDateTime64(to) },
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
    const result = await this.clickhouse.query({
      query: `SELECT toUnixTimestamp(bucket) * 1000 AS t, pageviews, visitors, sessions, custom_events
              FROM (
                SELECT toStartOfInterval(minute, ${step}, {timezone:String}) AS bucket,
                       sum(pageviews) AS pageviews, uniqCombinedMerge(visitors) AS visitors,
                       sum(sessions) AS sessions, sum(custom_events) AS custom_events
                FROM ${this.db}.rollup_1m
                WHERE site = {site:String} AND minute >= ${FROM} AND minute < ${TO}
                GROUP BY bucket
                ORDER BY bucket WITH FILL
                  FROM toStartOfInterval(toDateTime(${FROM}), ${step}, {timezone:String})
                  TO toDateTime(${TO}, {timezone:String})
                  STEP ${step}
              )
              ORDER BY bucket`,
      query_params: { site, from: range.from, to: range.to, timezone },
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
    const result = await this.clickhouse.query({
      query: `SELECT value, sum(events) AS count, uniqCombinedMerge(visitors) AS visitors
              FROM ${this.db}.breakdown_1m
              WHERE site = {site:String} AND dimension = {dimension:String} AND minute >= ${FROM} AND minute < ${TO}
              GROUP BY value
              ORDER BY count DESC, value ASC
              LIMIT {limit:UInt32}`,
      query_params: { site, dimension, from: range.from, to: range.to, limit },
      format: 'JSONEachRow',
    });
    return toBreakdownRows(await result.json<RawBreakdownRow>());
  }

  /** Sessions that started in the range, and their visitors, per entry or exit page; sessions without a page view are left out. */
  async sessionBreakdown(site: string, dimension: SessionDimension, range: TimeRange, limit: number): Promise<BreakdownRow[]> {
    const result = await this.clickhouse.query({
      query: `SELECT page AS value, count() AS count, uniqCombined(visitor) AS visitors
              FROM (
                SELECT session_id, any(visitor_id) AS visitor, min(started) AS session_started, ${PAGE_OF[dimension]} AS page
                FROM ${this.db}.sessions
                WHERE site = {site:String}
                GROUP BY session_id
                HAVING session_started >= ${FROM} AND session_started < ${TO}
              )
              WHERE page != ''
              GROUP BY value
              ORDER BY count DESC, value ASC
              LIMIT {limit:UInt32}`,
      query_params: { site, from: range.from, to: range.to, limit },
      format: 'JSONEachRow',
    });
    return toBreakdownRows(await result.json<RawBreakdownRow>());
  }

  async rollupTotals(site: string, range: TimeRange): Promise<RollupTotals> {
    const result = await this.clickhouse.query({
      query: `SELECT sum(pageviews) AS pageviews, uniqCombinedMerge(visitors) AS visitors, sum(custom_events) AS custom_events
              FROM ${this.db}.rollup_1m
              WHERE site = {site:String} AND minute >= ${FROM} AND minute < ${TO}`,
      query_params: { site, from: range.from, to: range.to },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ pageviews: number | string; visitors: number | string; custom_events: number | string }>();
    return { pageviews: Number(row?.pageviews ?? 0), visitors: Number(row?.visitors ?? 0), customEvents: Number(row?.custom_events ?? 0) };
  }

  /** Sessions that started in the range: how many, how many bounced, and their summed duration. */
  async sessionTotals(site: string, range: TimeRange): Promise<SessionTotals> {
    const result = await this.clickhouse.query({
      query: `SELECT count() AS sessions, countIf(session_pageviews <= 1) AS bounces,
                     sum(dateDiff('millisecond', session_started, session_ended)) AS duration_ms
              FROM (
                SELECT session_id, min(started) AS session_started, max(ended) AS session_ended, sum(pageviews) AS session_pageviews
                FROM ${this.db}.sessions
                WHERE site = {site:String}
                GROUP BY session_id
                HAVING session_started >= ${FROM} AND session_started < ${TO}
              )`,
      query_params: { site, from: range.from, to: range.to },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ sessions: number | string; bounces: number | string; duration_ms: number | string }>();
    return { sessions: Number(row?.sessions ?? 0), bounces: Number(row?.bounces ?? 0), durationMs: Number(row?.duration_ms ?? 0) };
  }
}

type RawBreakdownRow = { value: string; count: number | string; visitors: number | string };

const toBreakdownRows = (rows: RawBreakdownRow[]): BreakdownRow[] => rows.map((r) => ({ value: r.value, count: Number(r.count), visitors: Number(r.visitors) }));
