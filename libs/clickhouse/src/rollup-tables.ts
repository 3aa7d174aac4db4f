import type { VisitorSketch } from './visitor-sketch.js';

/** A table filled from the raw events by a materialized view, and rebuilt from them by a replay. */
export interface RollupTable {
  table: string;
  /** The migration that created it and its view. */
  since: number;
  /** The migration that dropped it, if one did: a replay no longer rebuilds it. */
  until?: number;
  /** Its CREATE, with visitor sketches of the given kind (VISITOR_SKETCH but in the migrations before 9). */
  create: (db: string, sketch: VisitorSketch) => string;
  /** The SELECT over events_raw that fills it; the view and the rebuild both use it. */
  select: (db: string, sketch: VisitorSketch) => string;
  /**
   * For a table added after data was stored: the INSERT ... SELECT that fills it from the finer
   * table it summarizes (not from events_raw, which a retention TTL may have emptied), so both
   * answer the same for any range.
   */
  backfill?: (db: string, sketch: VisitorSketch) => string;
}

/** Insert-token deduplication for a materialized view's target table (inserts retried by the aggregator reach it once). */
export const DEDUP = 'SETTINGS non_replicated_deduplication_window = 10000';

/** A table of per-site figures per time bucket (`bucket` names its column), summed or sketch-merged. */
const rollupTable = (db: string, table: string, bucket: string, sketch: VisitorSketch): string => `CREATE TABLE IF NOT EXISTS ${db}.${table} (
         site LowCardinality(String),
         ${bucket} DateTime('UTC'),
         pageviews SimpleAggregateFunction(sum, UInt64),
         custom_events SimpleAggregateFunction(sum, UInt64),
         bot_events SimpleAggregateFunction(sum, UInt64),
         sessions SimpleAggregateFunction(sum, UInt64),
         late_events SimpleAggregateFunction(sum, UInt64),
         visitors ${sketch.type}
       ) ENGINE = AggregatingMergeTree
       PARTITION BY toYYYYMM(${bucket})
       ORDER BY (site, ${bucket})
       ${DEDUP}`;

/** Per-site figures of the raw events per time bucket (`toStartOf` names the bucket function, `bucket` its column); engagement events count in none (migration 12). */
const rollupSelect = (db: string, toStartOf: string, bucket: string, sketch: VisitorSketch): string => `SELECT site, ${toStartOf}(event_time) AS ${bucket},
              countIf(type = 'pageview' AND NOT is_bot) AS pageviews,
              countIf(type = 'event' AND NOT is_bot) AS custom_events,
              countIf(is_bot) AS bot_events,
              countIf(session_start AND NOT is_bot) AS sessions,
              countIf(is_late) AS late_events,
              ${sketch.stateIf}(visitor_id, NOT is_bot) AS visitors
       FROM ${db}.events_raw
       WHERE type != 'engagement'
       GROUP BY site, ${bucket}`;

/** A table of per-site sums (name: type) and a visitor sketch per dimension value and time bucket, in the given order. */
const dimensionTable = (
  db: string,
  table: string,
  bucket: string,
  orderBy: string,
  sums: Readonly<Record<string, string>>,
  sketch: VisitorSketch,
  settings = '',
): string => `CREATE TABLE IF NOT EXISTS ${db}.${table} (
         site LowCardinality(String),
         dimension LowCardinality(String),
         ${bucket} DateTime('UTC'),
         value String,
         ${Object.entries(sums).map(([name, type]) => `${name} SimpleAggregateFunction(sum, ${type}),`).join('\n         ')}
         visitors ${sketch.type}
       ) ENGINE = AggregatingMergeTree
       PARTITION BY toYYYYMM(${bucket})
       ORDER BY (${orderBy})
       ${DEDUP}${settings}`;

/** Page views (custom events for `event`) per dimension value. */
const breakdownTable = (db: string, table: string, bucket: string, orderBy: string, sketch: VisitorSketch, settings = ''): string =>
  dimensionTable(db, table, bucket, orderBy, { events: 'UInt64' }, sketch, settings);

/**
 * Session figures filed under the time bucket the session started in: totals under dimension ''
 * (sessions, bounces, summed duration) and sessions per entry and exit page. Every column is a
 * sum of what each event changed in its session (see the Sessionizer), so the figures are exact
 * whatever insert holds which event, and never need a session merged per row.
 */
const sessionTable = (db: string, table: string, bucket: string, orderBy: string, sketch: VisitorSketch, settings = ''): string =>
  dimensionTable(db, table, bucket, orderBy, { sessions: 'Int64', bounces: 'Int64', duration_ms: 'Int64' }, sketch, settings);

/**
 * What each event changes in its session's figures:
 * - totals: a session counts when its first event arrives, as a bounce until its second page
 *   view, and its duration grows by how far each event moved its newest event time;
 * - the entry page (the first page view) gains a session and a visitor;
 * - each page view makes its page the exit page, taking the session from the page it replaces.
 * A visitor can leave no exit page's sketch, so exit pages count sessions only.
 * Rows stored before the sessions' state was kept (session_started 0) are left out: migration
 * 7 filled the tables for them from the per-session table it replaced.
 */
const sessionSelect = (db: string, toStartOf: string, bucket: string, sketch: VisitorSketch): string => `SELECT site, d.1 AS dimension, ${toStartOf}(session_started) AS ${bucket}, d.2 AS value,
              sum(d.3) AS sessions, sum(d.4) AS bounces, sum(d.5) AS duration_ms, ${sketch.stateIf}(visitor_id, d.1 = 'entryPage') AS visitors
       FROM ${db}.events_raw
       ARRAY JOIN [
         ('', '', toInt64(session_start), toInt64(session_start) - toInt64(type = 'pageview' AND session_pageviews = 2), toInt64(duration_added_ms)),
         ('entryPage', if(type = 'pageview' AND session_pageviews = 1, path, ''), 1, 0, 0),
         ('exitPage', if(type = 'pageview', path, ''), 1, 0, 0),
         ('exitPage', if(type = 'pageview', previous_exit, ''), -1, 0, 0)
       ] AS d
       WHERE NOT is_bot AND session_id != '' AND session_started > toDateTime64(0, 3, 'UTC')
         AND if(d.1 = '', d.3 != 0 OR d.4 != 0 OR d.5 != 0, d.2 != '')
       GROUP BY site, dimension, ${bucket}, value`;

/** The same figures from the per-session table migration 7 replaced, for the events stored before it. */
const sessionBackfill = (db: string, table: string, toStartOf: string, bucket: string, sketch: VisitorSketch): string => `INSERT INTO ${db}.${table} (site, dimension, ${bucket}, value, sessions, bounces, duration_ms, visitors)
       SELECT site, d.1 AS dimension, ${toStartOf}(started) AS ${bucket}, d.2 AS value,
              count() AS sessions, sum(d.3) AS bounces, sum(d.4) AS duration_ms, ${sketch.stateIf}(visitor_id, d.1 = 'entryPage') AS visitors
       FROM (SELECT site, visitor_id, started, pageviews, dateDiff('millisecond', started, ended) AS duration,
                    finalizeAggregation(entry_page) AS entry, finalizeAggregation(exit_page) AS exit
             FROM ${db}.sessions FINAL)
       ARRAY JOIN [('', '', toInt64(pageviews <= 1), toInt64(duration)), ('entryPage', entry, 0, 0), ('exitPage', exit, 0, 0)] AS d
       WHERE d.1 = '' OR d.2 != ''
       GROUP BY site, dimension, ${bucket}, value`;

// page views per page, referrer, UTM, country, browser, OS, device; custom events per name
const breakdownSelect = (db: string, toStartOf: string, bucket: string, sketch: VisitorSketch): string => `SELECT site, d.1 AS dimension, ${toStartOf}(event_time) AS ${bucket}, d.2 AS value,
              count() AS events, ${sketch.state}(visitor_id) AS visitors
       FROM ${db}.events_raw
       ARRAY JOIN [
         ('page', if(type = 'pageview', path, '')),
         ('referrer', if(type = 'pageview', ifNull(referrer_domain, ''), '')),
         ('utmSource', if(type = 'pageview', ifNull(utm_source, ''), '')),
         ('utmMedium', if(type = 'pageview', ifNull(utm_medium, ''), '')),
         ('utmCampaign', if(type = 'pageview', ifNull(utm_campaign, ''), '')),
         ('country', if(type = 'pageview', ifNull(country, ''), '')),
         ('browser', if(type = 'pageview', ifNull(browser, ''), '')),
         ('os', if(type = 'pageview', ifNull(os, ''), '')),
         ('device', if(type = 'pageview', device, '')),
         ('event', if(type = 'event', name, ''))
       ] AS d
       WHERE NOT is_bot AND d.2 != ''
       GROUP BY site, dimension, ${bucket}, value`;

/**
 * Per-minute figures of a site (bots apart), per-minute breakdowns by dimension, and one row
 * per session. Columns are sums or mergeable states, so any number of inserts, from any number
 * of aggregators, merge into exact sums and sketch-merged unique counts. The hourly and daily
 * tables hold the same figures in coarser buckets: a long range reads them for its whole hours
 * or days, and a sketch merged from them equals the one merged from the minutes (uniqCombined
 * depends only on the set of hashed values, whatever the grouping).
 */
const ROLLUP_TABLES: readonly RollupTable[] = [
  {
    table: 'pageviews_1s',
    since: 3,
    create: (db) => `CREATE TABLE IF NOT EXISTS ${db}.pageviews_1s (
         site LowCardinality(String),
         window_start DateTime('UTC'),
         kafka_partition UInt16,
         pageviews SimpleAggregateFunction(sum, UInt64),
         last_offset SimpleAggregateFunction(max, UInt64),
         bot_pageviews SimpleAggregateFunction(sum, UInt64),
         custom_events SimpleAggregateFunction(sum, UInt64)
       ) ENGINE = AggregatingMergeTree
       PARTITION BY toDate(window_start)
       ORDER BY (site, window_start, kafka_partition)
       ${DEDUP}`,
    select: (db) => `SELECT site, toStartOfSecond(event_time) AS window_start, kafka_partition,
              countIf(type = 'pageview' AND NOT is_bot) AS pageviews,
              countIf(type = 'pageview' AND is_bot) AS bot_pageviews,
              countIf(type = 'event' AND NOT is_bot) AS custom_events,
              max(kafka_offset) AS last_offset
       FROM ${db}.events_raw
       GROUP BY site, window_start, kafka_partition`,
  },
  {
    table: 'partition_progress',
    since: 3,
    create: (db) => `CREATE TABLE IF NOT EXISTS ${db}.partition_progress (
         kafka_topic LowCardinality(String),
         kafka_partition UInt16,
         last_offset SimpleAggregateFunction(max, UInt64)
       ) ENGINE = AggregatingMergeTree
       ORDER BY (kafka_topic, kafka_partition)
       ${DEDUP}`,
    select: (db) => `SELECT kafka_topic, kafka_partition, max(kafka_offset) AS last_offset
       FROM ${db}.events_raw
       GROUP BY kafka_topic, kafka_partition`,
  },
  {
    table: 'rollup_1m',
    since: 3,
    create: (db, sketch) => rollupTable(db, 'rollup_1m', 'minute', sketch),
    select: (db, sketch) => rollupSelect(db, 'toStartOfMinute', 'minute', sketch),
  },
  {
    table: 'breakdown_1m',
    since: 3,
    create: (db, sketch) => breakdownTable(db, 'breakdown_1m', 'minute', 'site, dimension, minute, value', sketch),
    select: (db, sketch) => breakdownSelect(db, 'toStartOfMinute', 'minute', sketch),
  },
  {
    table: 'sessions',
    since: 3,
    until: 7,
    create: (db) => `CREATE TABLE IF NOT EXISTS ${db}.sessions (
         site LowCardinality(String),
         session_id String,
         visitor_id SimpleAggregateFunction(any, String),
         started SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
         ended SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
         pageviews SimpleAggregateFunction(sum, UInt64),
         events SimpleAggregateFunction(sum, UInt64),
         entry_page AggregateFunction(argMin, String, DateTime64(3, 'UTC')),
         exit_page AggregateFunction(argMax, String, DateTime64(3, 'UTC'))
       ) ENGINE = AggregatingMergeTree
       ORDER BY (site, session_id)
       ${DEDUP}`,
    select: (db) => `SELECT site, session_id, any(visitor_id) AS visitor_id,
              min(event_time) AS started, max(event_time) AS ended,
              countIf(type = 'pageview') AS pageviews, count() AS events,
              argMinStateIf(path, event_time, type = 'pageview') AS entry_page,
              argMaxStateIf(path, event_time, type = 'pageview') AS exit_page
       FROM ${db}.events_raw
       WHERE NOT is_bot AND session_id != ''
       GROUP BY site, session_id`,
  },
  {
    table: 'pageviews_1h',
    since: 6,
    create: (db) => `CREATE TABLE IF NOT EXISTS ${db}.pageviews_1h (
         site LowCardinality(String),
         hour DateTime('UTC'),
         pageviews SimpleAggregateFunction(sum, UInt64)
       ) ENGINE = AggregatingMergeTree
       PARTITION BY toYYYYMM(hour)
       ORDER BY (site, hour)
       ${DEDUP}`,
    select: (db) => `SELECT site, toStartOfHour(event_time) AS hour, countIf(type = 'pageview' AND NOT is_bot) AS pageviews
       FROM ${db}.events_raw
       GROUP BY site, hour`,
    backfill: (db) => `INSERT INTO ${db}.pageviews_1h (site, hour, pageviews)
       SELECT site, toStartOfHour(window_start) AS hour, sum(pageviews) FROM ${db}.pageviews_1s GROUP BY site, hour`,
  },
  {
    table: 'rollup_1h',
    since: 6,
    create: (db, sketch) => rollupTable(db, 'rollup_1h', 'hour', sketch),
    select: (db, sketch) => rollupSelect(db, 'toStartOfHour', 'hour', sketch),
    backfill: (db, sketch) => `INSERT INTO ${db}.rollup_1h (site, hour, pageviews, custom_events, bot_events, sessions, late_events, visitors)
       SELECT site, toStartOfHour(minute) AS hour, sum(pageviews), sum(custom_events), sum(bot_events), sum(sessions), sum(late_events),
              ${sketch.mergeState}(visitors)
       FROM ${db}.rollup_1m GROUP BY site, hour`,
  },
  {
    table: 'breakdown_1d',
    since: 6,
    // value before day: the visitors of the top values alone are merged, and small granules let
    // the other values' sketches go unread
    create: (db, sketch) => breakdownTable(db, 'breakdown_1d', 'day', 'site, dimension, value, day', sketch, ', index_granularity = 128'),
    select: (db, sketch) => breakdownSelect(db, 'toStartOfDay', 'day', sketch),
    backfill: (db, sketch) => `INSERT INTO ${db}.breakdown_1d (site, dimension, day, value, events, visitors)
       SELECT site, dimension, toStartOfDay(minute) AS day, value, sum(events), ${sketch.mergeState}(visitors)
       FROM ${db}.breakdown_1m GROUP BY site, dimension, day, value`,
  },
  {
    table: 'session_starts',
    since: 6,
    until: 7,
    // one row per session per insert that stored some of it: the row of the insert holding the
    // session's earliest event carries its start, so a range's sessions are found by time
    create: (db) => `CREATE TABLE IF NOT EXISTS ${db}.session_starts (
         site LowCardinality(String),
         started DateTime64(3, 'UTC'),
         session_id String
       ) ENGINE = MergeTree
       PARTITION BY toYYYYMM(started)
       ORDER BY (site, started, session_id)
       ${DEDUP}`,
    select: (db) => `SELECT site, min(event_time) AS started, session_id
       FROM ${db}.events_raw
       WHERE NOT is_bot AND session_id != ''
       GROUP BY site, session_id`,
    backfill: (db) => `INSERT INTO ${db}.session_starts (site, started, session_id)
       SELECT site, min(started), session_id FROM ${db}.sessions GROUP BY site, session_id`,
  },
  {
    table: 'sessions_1m',
    since: 7,
    create: (db, sketch) => sessionTable(db, 'sessions_1m', 'minute', 'site, dimension, minute, value', sketch),
    select: (db, sketch) => sessionSelect(db, 'toStartOfMinute', 'minute', sketch),
    backfill: (db, sketch) => sessionBackfill(db, 'sessions_1m', 'toStartOfMinute', 'minute', sketch),
  },
  {
    table: 'sessions_1d',
    since: 7,
    create: (db, sketch) => sessionTable(db, 'sessions_1d', 'day', 'site, dimension, value, day', sketch, ', index_granularity = 128'),
    select: (db, sketch) => sessionSelect(db, 'toStartOfDay', 'day', sketch),
    backfill: (db, sketch) => sessionBackfill(db, 'sessions_1d', 'toStartOfDay', 'day', sketch),
  },
];

/** The derived tables a current install has: a replay rebuilds these. */
export const CURRENT_ROLLUP_TABLES: readonly RollupTable[] = ROLLUP_TABLES.filter((t) => t.until === undefined);

/** The derived tables a migration created, with their views. */
export const rollupTablesOf = (version: number): RollupTable[] => ROLLUP_TABLES.filter((t) => t.since === version);

/** The materialized view that fills a derived table from each insert into the raw events. */
export const createView = (db: string, t: RollupTable, sketch: VisitorSketch): string =>
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${t.table}_mv TO ${db}.${t.table} AS ${t.select(db, sketch)}`;
