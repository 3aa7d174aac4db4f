import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { VISITOR_SKETCH, type ClickHouseClient, type Dimension } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import { FILTERED_READ_SETTINGS, SESSION_TAIL, filterSql, type Filter, type FilterSql } from './filters.js';
import type { Interval, SessionDimension, TimeRange } from './history-params.js';
import type { BreakdownRow, RollupTotals, SessionTotals, TimeseriesRow } from './history.repository.js';
import { FROM, STEP, TO } from './sql-fragments.js';

/** Each breakdown dimension's value on a raw event row, and the type of event it counts. */
const BREAKDOWN_VALUE: Readonly<Record<Dimension, { value: string; type: 'pageview' | 'event' }>> = {
  page: { value: 'path', type: 'pageview' },
  referrer: { value: "ifNull(referrer_domain, '')", type: 'pageview' },
  utmSource: { value: "ifNull(utm_source, '')", type: 'pageview' },
  utmMedium: { value: "ifNull(utm_medium, '')", type: 'pageview' },
  utmCampaign: { value: "ifNull(utm_campaign, '')", type: 'pageview' },
  country: { value: "ifNull(country, '')", type: 'pageview' },
  browser: { value: "ifNull(browser, '')", type: 'pageview' },
  os: { value: "ifNull(os, '')", type: 'pageview' },
  device: { value: 'device', type: 'pageview' },
  event: { value: 'name', type: 'event' },
};

/** The row a selected session is counted at: its first event, or its first page view when its source selected it. */
const sessionStart = (f: FilterSql): string => (f.visit ? "type = 'pageview' AND session_pageviews = 1" : 'session_start');

/**
 * A row whose session's state was stored (every one since migration 7), as the session rollups
 * take them: a test of an 8-byte time rather than of the session id's text (36 bytes a row).
 */
const SESSION_KNOWN = "session_started > toDateTime64(0, 3, 'UTC')";

/** Engagement reports count in no figure here (their own read is PageEngagementRepository's). */
const COUNTED = "type != 'engagement'";

/** The events of the site in the range, bots and engagement reports left out. */
const IN_RANGE = `site = {site:String} AND NOT is_bot AND ${COUNTED} AND event_time >= ${FROM} AND event_time < ${TO}`;

/**
 * The history API's figures under filters, read from the raw events (the rollups keep no figure
 * per combination of dimensions). Each answer has the unfiltered one's meaning and precision:
 * counts exact, visitors the same sketch (exact to 512, then about 0.8 %), sessions summed from
 * what each event changed in its session as the session rollups are. events_raw is ordered by
 * (site, event_time), so a range reads only its own days of one site.
 */
@Injectable()
export class FilteredHistoryRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /** Selected page views in [from, to) (epoch ms, cut to the second as the unfiltered route does). */
  async pageviews(site: string, from: number, to: number, filters: readonly Filter[]): Promise<number> {
    const f = filterSql(filters, this.db);
    const [row] = await this.rows<{ n: string | number }>(
      `SELECT count() AS n FROM ${this.db}.events_raw WHERE ${IN_RANGE} AND type = 'pageview' AND ${f.rows}`,
      { site, from: Math.floor(from / 1000) * 1000, to: Math.floor(to / 1000) * 1000, ...f.params },
    );
    return Number(row?.n ?? 0);
  }

  /** Selected page views, custom events and visitors; bot events that the filters select. */
  async rollupTotals(site: string, range: TimeRange, filters: readonly Filter[]): Promise<RollupTotals> {
    const f = filterSql(filters, this.db);
    const [row] = await this.rows<Record<'pageviews' | 'visitors' | 'custom_events' | 'bot_events', string | number>>(
      `SELECT countIf(NOT is_bot AND type = 'pageview') AS pageviews, countIf(NOT is_bot AND type = 'event') AS custom_events,
              countIf(is_bot) AS bot_events, ${VISITOR_SKETCH.countIf}(visitor_id, NOT is_bot) AS visitors
       FROM ${this.db}.events_raw
       WHERE site = {site:String} AND ${COUNTED} AND event_time >= ${FROM} AND event_time < ${TO} AND ${f.rows}`,
      { site, from: range.from, to: range.to, ...f.params },
    );
    return { pageviews: Number(row?.pageviews ?? 0), visitors: Number(row?.visitors ?? 0), customEvents: Number(row?.custom_events ?? 0), botEvents: Number(row?.bot_events ?? 0) };
  }

  /**
   * Both kinds of totals, in one pass over the range and the day after it (where its sessions may
   * go on). The selected rows give the page views, custom events, bot events and visitors; the
   * sessions started in the range that hold a selected event give the session figures, from what
   * each of their events changed (as the session rollups sum it). A session selected by its
   * source counts at its first page view, and its time before that is not added. Under filters
   * that select whole sessions the pass reads the selected rows alone; under the others, every row
   * of the range and the selected sessions' keys (the set is built once, and the range read once
   * rather than once per kind: 600 ms against 760 ms for two queries side by side, measured here).
   */
  async totals(site: string, range: TimeRange, filters: readonly Filter[]): Promise<{ rollup: RollupTotals; sessions: SessionTotals }> {
    const f = filterSql(filters, this.db);
    const start = sessionStart(f);
    type Row = Record<'pageviews' | 'visitors' | 'custom_events' | 'bot_events' | 'sessions' | 'bounces' | 'duration_ms', string | number>;
    const [row] = await this.rows<Row>(
      `SELECT countIf(selected AND NOT is_bot AND type = 'pageview') AS pageviews, countIf(selected AND NOT is_bot AND type = 'event') AS custom_events,
              countIf(selected AND is_bot) AS bot_events, ${VISITOR_SKETCH.countIf}(visitor_id, selected AND NOT is_bot) AS visitors,
              countIf(in_sessions AND ${start}) AS sessions,
              countIf(in_sessions AND ${start}) - countIf(in_sessions AND type = 'pageview' AND session_pageviews = 2) AS bounces,
              sumIf(duration_added_ms, in_sessions) AS duration_ms
       FROM (
         SELECT is_bot, type, visitor_id, session_start, session_pageviews, duration_added_ms,
                event_time < ${TO} AND ${f.wholeSessions ? '1' : f.rows} AS selected,
                NOT is_bot AND ${SESSION_KNOWN} AND session_started >= ${FROM} AND session_started < ${TO} AND ${f.wholeSessions ? '1' : f.inSelectedSessions} AS in_sessions
         FROM ${this.db}.events_raw
         WHERE site = {site:String} AND ${COUNTED} AND event_time >= ${FROM} AND event_time < ${TO} + ${SESSION_TAIL} AND ${f.wholeSessions ? f.rows : '1'}
       )`,
      { site, from: range.from, to: range.to, ...f.params },
    );
    const n = (key: keyof Row): number => Number(row?.[key] ?? 0);
    return {
      rollup: { pageviews: n('pageviews'), visitors: n('visitors'), customEvents: n('custom_events'), botEvents: n('bot_events') },
      sessions: { sessions: n('sessions'), bounces: n('bounces'), durationMs: n('duration_ms') },
    };
  }

  /**
   * Per bucket of `interval` in `timezone`, empty ones included: selected page views, custom
   * events and visitors, and the sessions holding a selected event by the bucket they started in.
   */
  async timeseries(site: string, range: TimeRange, interval: Interval, timezone: string, filters: readonly Filter[]): Promise<TimeseriesRow[]> {
    const f = filterSql(filters, this.db);
    const step = STEP[interval];
    type Row = Record<'t' | 'pageviews' | 'visitors' | 'sessions' | 'custom_events', string | number>;
    const rows = await this.rows<Row>(
      `SELECT toUnixTimestamp(bucket) * 1000 AS t, pageviews, visitors, sessions, custom_events
       FROM (
         SELECT toStartOfInterval(toDateTime(event_time, 'UTC'), ${step}, {timezone:String}) AS bucket,
                countIf(selected AND type = 'pageview') AS pageviews, countIf(selected AND type = 'event') AS custom_events,
                ${VISITOR_SKETCH.countIf}(visitor_id, selected) AS visitors,
                countIf(starts_selected_session) AS sessions
         -- both flags are computed here, where the filters' columns are in scope
         FROM (SELECT event_time, type, visitor_id, ${f.rows} AS selected, ${sessionStart(f)} AND ${f.inSelectedSessions} AS starts_selected_session
               FROM ${this.db}.events_raw WHERE ${IN_RANGE} AND (${sessionStart(f)} OR ${f.rows}))
         GROUP BY bucket
         ORDER BY bucket WITH FILL
           FROM toStartOfInterval(toDateTime(${FROM}), ${step}, {timezone:String})
           TO toDateTime(${TO}, {timezone:String})
           STEP ${step}
       )
       ORDER BY bucket`,
      { site, from: range.from, to: range.to, timezone, ...f.params },
    );
    return rows.map((r) => ({ t: Number(r.t), pageviews: Number(r.pageviews), visitors: Number(r.visitors), sessions: Number(r.sessions), customEvents: Number(r.custom_events) }));
  }

  /** Selected page views (custom events for 'event') and their visitors per value of a dimension, most first. */
  async breakdown(site: string, dimension: Dimension, range: TimeRange, limit: number, filters: readonly Filter[]): Promise<BreakdownRow[]> {
    const f = filterSql(filters, this.db);
    const { value, type } = BREAKDOWN_VALUE[dimension];
    return this.breakdownRows(
      `SELECT ${value} AS value, count() AS count, ${VISITOR_SKETCH.count}(visitor_id) AS visitors
       FROM ${this.db}.events_raw
       WHERE ${IN_RANGE} AND type = '${type}' AND value != '' AND ${f.rows}
       GROUP BY value ORDER BY count DESC, value ASC LIMIT {limit:UInt32}`,
      { site, from: range.from, to: range.to, limit, ...f.params },
    );
  }

  /**
   * The sessions started in the range that hold a selected event, per entry page (with their
   * visitors) or exit page (sessions only, as unfiltered), most first.
   */
  async sessionBreakdown(site: string, dimension: SessionDimension, range: TimeRange, limit: number, filters: readonly Filter[]): Promise<BreakdownRow[]> {
    const f = filterSql(filters, this.db);
    const params = { site, from: range.from, to: range.to, limit, ...f.params };
    if (dimension === 'entryPage') {
      return this.breakdownRows(
        `SELECT path AS value, count() AS count, ${VISITOR_SKETCH.count}(visitor_id) AS visitors
         FROM ${this.db}.events_raw
         WHERE ${IN_RANGE} AND ${SESSION_KNOWN} AND type = 'pageview' AND session_pageviews = 1 AND ${f.inSelectedSessions}
         GROUP BY value ORDER BY count DESC, value ASC LIMIT {limit:UInt32}`,
        params,
      );
    }
    const rows = await this.breakdownRows(
      `SELECT value, count() AS count, 0 AS visitors
       FROM (
         SELECT argMax(path, (event_time, session_pageviews)) AS value
         FROM ${this.db}.events_raw
         WHERE site = {site:String} AND NOT is_bot AND ${SESSION_KNOWN} AND type = 'pageview'
           AND session_started >= ${FROM} AND session_started < ${TO}
           AND event_time >= ${FROM} AND event_time < ${TO} + ${SESSION_TAIL}
           AND ${f.inSelectedSessions}
         GROUP BY session_key
       )
       GROUP BY value ORDER BY count DESC, value ASC LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map((r) => ({ ...r, visitors: null }));
  }

  private async breakdownRows(query: string, params: Record<string, unknown>): Promise<BreakdownRow[]> {
    const rows = await this.rows<{ value: string; count: string | number; visitors: string | number }>(query, params);
    return rows.map((r) => ({ value: r.value, count: Number(r.count), visitors: Number(r.visitors) }));
  }

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    return (await this.clickhouse.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: FILTERED_READ_SETTINGS })).json<T>();
  }
}
