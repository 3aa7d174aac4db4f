import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@clickstream/logger';
import { GOALS_MIGRATION } from './migrations/0010-goals.js';
import { FILTERED_READS_MIGRATION } from './migrations/0011-raw-events-for-filters.js';

export interface Migration {
  version: number;
  name: string;
  /** Statements for the given database; each is idempotent (IF NOT EXISTS) so a half-applied run can be repeated. */
  statements: (db: string) => string[];
  /** Work that depends on what the database holds, run after the statements; repeatable like them. */
  run?: (client: ClickHouseClient, db: string, logger: Logger) => Promise<void>;
}

/** The functions and column type of a visitor sketch: ClickHouse's uniqCombined at one precision. */
export interface VisitorSketch {
  type: string;
  /** The plain aggregate: the same count straight from raw rows. */
  count: string;
  /** The plain aggregate of the rows meeting a condition: `${countIf}(value, condition)`. */
  countIf: string;
  state: string;
  stateIf: string;
  mergeState: string;
  merge: string;
  mergeIf: string;
}

/** A state names its precision in its type, and only a merge naming the same one reads it. */
const sketchOf = (precision?: number): VisitorSketch => {
  const p = precision === undefined ? '' : `(${precision})`;
  return {
    type: `AggregateFunction(uniqCombined${p}, String)`,
    count: `uniqCombined${p}`,
    countIf: `uniqCombinedIf${p}`,
    state: `uniqCombinedState${p}`,
    stateIf: `uniqCombinedStateIf${p}`,
    mergeState: `uniqCombinedMergeState${p}`,
    merge: `uniqCombinedMerge${p}`,
    mergeIf: `uniqCombinedMergeIf${p}`,
  };
};

/**
 * The visitor sketch of every table since migration 9: exact up to 512 visitors (measured on the
 * engine: for strings it keeps 2^9 hashes before it switches), then a HyperLogLog of 2^14 registers
 * (about 0.8 % standard error, as the live view's sketch). The versions before used the function's default, 2^17 registers: eight times the bytes in every busy
 * bucket, which a 30-day read merges one per day and value.
 */
export const VISITOR_SKETCH: VisitorSketch = sketchOf(14);
const SKETCH_BEFORE_V9: VisitorSketch = sketchOf();

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

const DEDUP = 'SETTINGS non_replicated_deduplication_window = 10000';

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

/** Per-site figures of the raw events per time bucket (`toStartOf` names the bucket function, `bucket` its column). */
const rollupSelect = (db: string, toStartOf: string, bucket: string, sketch: VisitorSketch): string => `SELECT site, ${toStartOf}(event_time) AS ${bucket},
              countIf(type = 'pageview' AND NOT is_bot) AS pageviews,
              countIf(type = 'event' AND NOT is_bot) AS custom_events,
              countIf(is_bot) AS bot_events,
              countIf(session_start AND NOT is_bot) AS sessions,
              countIf(is_late) AS late_events,
              ${sketch.stateIf}(visitor_id, NOT is_bot) AS visitors
       FROM ${db}.events_raw
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

const rollupTablesOf = (version: number): RollupTable[] => ROLLUP_TABLES.filter((t) => t.since === version);

const createView = (db: string, t: RollupTable, sketch: VisitorSketch): string =>
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.${t.table}_mv TO ${db}.${t.table} AS ${t.select(db, sketch)}`;

/**
 * Version 1: raw events, per-second pageview rollups per Kafka partition, and the
 * highest stored offset per partition. The rollup and progress tables are filled by
 * materialized views from the raw insert, so one deduplicated insert updates all three.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'raw events, per-second pageviews, partition progress',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.events_raw (
         event_id UUID,
         site LowCardinality(String),
         type LowCardinality(String),
         url String,
         path String,
         referrer Nullable(String),
         event_time DateTime64(3, 'UTC'),
         received_at DateTime64(3, 'UTC'),
         kafka_topic LowCardinality(String),
         kafka_partition UInt16,
         kafka_offset UInt64
       ) ENGINE = MergeTree
       PARTITION BY toDate(event_time)
       ORDER BY (site, event_time, event_id)
       SETTINGS non_replicated_deduplication_window = 10000`,
      `CREATE TABLE IF NOT EXISTS ${db}.pageviews_1s (
         site LowCardinality(String),
         window_start DateTime('UTC'),
         kafka_partition UInt16,
         pageviews SimpleAggregateFunction(sum, UInt64),
         last_offset SimpleAggregateFunction(max, UInt64)
       ) ENGINE = AggregatingMergeTree
       PARTITION BY toDate(window_start)
       ORDER BY (site, window_start, kafka_partition)
       SETTINGS non_replicated_deduplication_window = 10000`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.pageviews_1s_mv TO ${db}.pageviews_1s AS
       SELECT site, toStartOfSecond(event_time) AS window_start, kafka_partition,
              countIf(type = 'pageview') AS pageviews, max(kafka_offset) AS last_offset
       FROM ${db}.events_raw
       GROUP BY site, window_start, kafka_partition`,
      `CREATE TABLE IF NOT EXISTS ${db}.partition_progress (
         kafka_topic LowCardinality(String),
         kafka_partition UInt16,
         last_offset SimpleAggregateFunction(max, UInt64)
       ) ENGINE = AggregatingMergeTree
       ORDER BY (kafka_topic, kafka_partition)
       SETTINGS non_replicated_deduplication_window = 10000`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.partition_progress_mv TO ${db}.partition_progress AS
       SELECT kafka_topic, kafka_partition, max(kafka_offset) AS last_offset
       FROM ${db}.events_raw
       GROUP BY kafka_topic, kafka_partition`,
    ],
  },
  {
    version: 2,
    name: 'event details, bots apart, sites, daily salts',
    statements: (db) => [
      ...[
        `client_event_id Nullable(String)`,
        `name LowCardinality(String) DEFAULT ''`,
        `props Map(String, String)`,
        `hostname LowCardinality(String) DEFAULT ''`,
        `referrer_domain LowCardinality(Nullable(String))`,
        `title Nullable(String)`,
        `screen LowCardinality(Nullable(String))`,
        `language LowCardinality(Nullable(String))`,
        `utm_source LowCardinality(Nullable(String))`,
        `utm_medium LowCardinality(Nullable(String))`,
        `utm_campaign Nullable(String)`,
        `utm_term Nullable(String)`,
        `utm_content Nullable(String)`,
        `browser LowCardinality(Nullable(String))`,
        `os LowCardinality(Nullable(String))`,
        `device LowCardinality(String) DEFAULT 'unknown'`,
        `is_bot Bool DEFAULT false`,
        `country LowCardinality(Nullable(String))`,
        `visitor_id String DEFAULT ''`,
        `client_time Nullable(DateTime64(3, 'UTC'))`,
        `time_flagged Bool DEFAULT false`,
      ].map((column) => `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS ${column}`),
      `ALTER TABLE ${db}.pageviews_1s ADD COLUMN IF NOT EXISTS bot_pageviews SimpleAggregateFunction(sum, UInt64)`,
      `ALTER TABLE ${db}.pageviews_1s ADD COLUMN IF NOT EXISTS custom_events SimpleAggregateFunction(sum, UInt64)`,
      // bots are counted apart, never in the page views a site owner sees
      `DROP VIEW IF EXISTS ${db}.pageviews_1s_mv`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}.pageviews_1s_mv TO ${db}.pageviews_1s AS
       SELECT site, toStartOfSecond(event_time) AS window_start, kafka_partition,
              countIf(type = 'pageview' AND NOT is_bot) AS pageviews,
              countIf(type = 'pageview' AND is_bot) AS bot_pageviews,
              countIf(type = 'event' AND NOT is_bot) AS custom_events,
              max(kafka_offset) AS last_offset
       FROM ${db}.events_raw
       GROUP BY site, window_start, kafka_partition`,
      `CREATE TABLE IF NOT EXISTS ${db}.sites (
         site_id String,
         name String,
         created_at DateTime64(3, 'UTC') DEFAULT now64(3),
         version UInt64,
         deleted Bool DEFAULT false
       ) ENGINE = ReplacingMergeTree(version)
       ORDER BY site_id`,
      `CREATE TABLE IF NOT EXISTS ${db}.daily_salts (
         day Date,
         salt String,
         created_at DateTime64(3, 'UTC') DEFAULT now64(3)
       ) ENGINE = MergeTree
       ORDER BY (day, created_at, salt)
       TTL day + INTERVAL 2 DAY`,
    ],
  },
  {
    version: 3,
    name: 'sessions and lateness on raw events; minute rollups, breakdowns, sessions; replay epochs',
    statements: (db) => [
      `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS session_id String DEFAULT ''`,
      `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS session_start Bool DEFAULT false`,
      `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS is_late Bool DEFAULT false`,
      ...rollupTablesOf(3).flatMap((t) => [t.create(db, SKETCH_BEFORE_V9), createView(db, t, SKETCH_BEFORE_V9)]),
      // a replay deletes stored rows and inserts the same offset ranges again: the epoch is part of
      // each insert's deduplication token, so those inserts are not mistaken for repeats
      `CREATE TABLE IF NOT EXISTS ${db}.replay_epochs (
         epoch UInt32,
         started_at DateTime64(3, 'UTC') DEFAULT now64(3),
         description String
       ) ENGINE = MergeTree
       ORDER BY epoch`,
    ],
  },
  {
    version: 4,
    name: 'dashboard token versions, shared secrets',
    statements: (db) => [
      // a site's dashboard token is derived from a shared secret and this version; rotating bumps it
      `ALTER TABLE ${db}.sites ADD COLUMN IF NOT EXISTS token_version UInt32 DEFAULT 0`,
      `CREATE TABLE IF NOT EXISTS ${db}.secrets (
         name LowCardinality(String),
         value String,
         created_at DateTime64(3, 'UTC') DEFAULT now64(3)
       ) ENGINE = MergeTree
       ORDER BY (name, created_at, value)`,
    ],
  },
  {
    version: 5,
    name: 'the deduplication token of the insert that stored each raw event',
    statements: (db) => [
      // an insert reaches the raw table and its views one after the other; after a crash in
      // between, the aggregator sends the same rows again under this token to fill the views
      `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS insert_token LowCardinality(String) DEFAULT ''`,
    ],
  },
  {
    version: 6,
    name: 'hourly and daily summaries of the rollups, session starts by time',
    statements: (db) => [
      // each table gets its view first, then is emptied and filled from the finer table: rows a
      // live insert adds between the view and the truncation are in the finer table, so counted once;
      // only an insert landing between TRUNCATE and the INSERT's snapshot would count twice (a replay
      // rebuilds every derived table). Emptying first makes a repeated run count nothing twice.
      ...rollupTablesOf(6).flatMap((t) => [
        t.create(db, SKETCH_BEFORE_V9),
        createView(db, t, SKETCH_BEFORE_V9),
        `TRUNCATE TABLE ${db}.${t.table}`,
        ...(t.backfill ? [t.backfill(db, SKETCH_BEFORE_V9)] : []),
      ]),
    ],
  },
  {
    version: 7,
    name: 'session figures summed from what each event changed, per minute and day of the session start',
    statements: (db) => [
      ...[
        `session_started DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC')`,
        `session_pageviews UInt32 DEFAULT 0`,
        `previous_exit String DEFAULT ''`,
        `duration_added_ms UInt64 DEFAULT 0`,
      ].map((column) => `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS ${column}`),
      // the per-session tables stop being filled first: from then on they hold exactly the
      // events stored before, which the new tables take from them (emptied first, so a repeated
      // run counts nothing twice); events stored from then on carry their session's state
      `DROP VIEW IF EXISTS ${db}.sessions_mv`,
      `DROP VIEW IF EXISTS ${db}.session_starts_mv`,
      ...rollupTablesOf(7).flatMap((t) => [
        t.create(db, SKETCH_BEFORE_V9),
        `TRUNCATE TABLE ${db}.${t.table}`,
        ...(t.backfill ? [t.backfill(db, SKETCH_BEFORE_V9)] : []),
        createView(db, t, SKETCH_BEFORE_V9),
      ]),
    ],
  },
  {
    version: 8,
    name: 'drop the per-session tables migration 7 replaced',
    // apart from 7, so a repeated run of 7 still finds what it fills the new tables from
    statements: (db) => [`DROP TABLE IF EXISTS ${db}.sessions`, `DROP TABLE IF EXISTS ${db}.session_starts`],
  },
  {
    version: 9,
    name: 'visitor sketches of 2^14 registers, rebuilt from the raw events',
    statements: () => [],
    run: resketch,
  },
  // from 10 on, one migration per file under migrations/
  GOALS_MIGRATION,
  FILTERED_READS_MIGRATION,
];

/**
 * Migration 9, table by table: a sketch cannot change its precision, so each visitor column is
 * rebuilt beside the old one from the raw events, by the SELECT of the table's view, then takes
 * its place. The sums stay as they are, and so does each table's memory of recent insert tokens
 * (the crash repair resends an insert under its token, see RollupSink). Buckets the raw events no
 * longer cover (RAW_EVENTS_TTL_DAYS removed them; entry pages of sessions stored before migration
 * 7) get a sketch of as many placeholder visitors as the old one counted: each such bucket keeps
 * its count, and a range over several of them adds theirs up. Every step can run again: a sketch
 * merged with itself is unchanged, and a bucket with a rebuilt sketch gets no placeholders.
 */
async function resketch(client: ClickHouseClient, db: string, logger: Logger): Promise<void> {
  const sync = { mutations_sync: '2' } as const;
  for (const t of CURRENT_ROLLUP_TABLES) {
    const table = `${db}.${t.table}`;
    const columns = await columnTypes(client, db, t.table);
    if (!columns.has('visitors') && !columns.has('visitors_next')) continue;
    await client.command({ query: `DROP VIEW IF EXISTS ${table}_mv` });
    if (columns.get('visitors') !== VISITOR_SKETCH.type) {
      if (columns.has('visitors')) {
        const keys = [...columns]
          .filter(([name, type]) => !name.startsWith('visitors') && !type.startsWith('SimpleAggregateFunction'))
          .map(([name]) => name)
          .join(', ');
        await client.command({ query: `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS visitors_next ${VISITOR_SKETCH.type}`, clickhouse_settings: sync });
        await client.command({
          query: `INSERT INTO ${table} (${keys}, visitors_next) SELECT ${keys}, visitors FROM (${t.select(db, VISITOR_SKETCH)})`,
          clickhouse_settings: { insert_deduplicate: 0 },
        });
        const [uncovered] = await (
          await client.query({
            query: `SELECT count() AS buckets, sum(old) AS visitors FROM (${uncoveredBuckets(table, keys)})`,
            format: 'JSONEachRow',
          })
        ).json<{ buckets: string; visitors: string }>();
        if (Number(uncovered?.buckets ?? 0) > 0) {
          await client.command({
            query: `INSERT INTO ${table} (${keys}, visitors_next)
                    SELECT ${keys}, ${VISITOR_SKETCH.state}(concat('v9:', toString(cityHash64(${keys})), ':', toString(i)))
                    FROM (${uncoveredBuckets(table, keys)}) ARRAY JOIN range(old) AS i
                    GROUP BY ${keys}`,
            clickhouse_settings: { insert_deduplicate: 0 },
          });
          logger.warn(
            { table: t.table, buckets: Number(uncovered!.buckets), visitors: Number(uncovered!.visitors) },
            'visitor sketches of buckets without raw events rebuilt from their counts: a range over several such buckets adds their visitors up',
          );
        }
        await client.command({ query: `ALTER TABLE ${table} DROP COLUMN visitors`, clickhouse_settings: sync });
      }
      await client.command({ query: `ALTER TABLE ${table} RENAME COLUMN visitors_next TO visitors`, clickhouse_settings: sync });
    }
    await client.command({ query: createView(db, t, VISITOR_SKETCH) });
  }
}

/** A table's columns and their types, in order. */
export async function columnTypes(client: ClickHouseClient, db: string, table: string): Promise<Map<string, string>> {
  const result = await client.query({
    query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String} ORDER BY position`,
    query_params: { db, table },
    format: 'JSONEachRow',
  });
  return new Map((await result.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]));
}

/** The buckets of a table whose old sketch counts visitors and whose new one none: what the raw events no longer cover. */
const uncoveredBuckets = (table: string, keys: string): string => `SELECT ${keys}, ${SKETCH_BEFORE_V9.merge}(visitors) AS old
       FROM ${table} GROUP BY ${keys}
       HAVING old > 0 AND ${VISITOR_SKETCH.merge}(visitors_next) = 0`;

/** Applies the migrations not yet recorded in `<db>.schema_migrations`, in order. */
export async function migrate(client: ClickHouseClient, database: string, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rows = await (await client.query({ query: `SELECT DISTINCT version FROM ${database}.schema_migrations`, format: 'JSONEachRow' })).json<{ version: number }>();
  const applied = new Set(rows.map((r) => Number(r.version)));
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    for (const statement of m.statements(database)) await client.command({ query: statement });
    await m.run?.(client, database, logger);
    await client.insert({ table: `${database}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    logger.info({ version: m.version, migration: m.name }, 'ClickHouse migration applied');
    done.push(m.version);
  }
  return done;
}

/** Keeps raw events `days` days (by event time), or forever with 0. Applied at every start, so a changed setting takes effect. */
export async function applyRawRetention(client: ClickHouseClient, database: string, days: number): Promise<void> {
  const [row] = await (
    await client.query({
      query: `SELECT engine_full FROM system.tables WHERE database = {database:String} AND name = 'events_raw'`,
      query_params: { database },
      format: 'JSONEachRow',
    })
  ).json<{ engine_full: string }>();
  const engine = row?.engine_full ?? '';
  const wanted = `TTL toDateTime(event_time) + toIntervalDay(${days})`;
  // every start calls this: an ALTER only when the TTL changes (each one starts a mutation over every part)
  if (days > 0 && !engine.includes(`${wanted} `) && !engine.endsWith(wanted)) await client.command({ query: `ALTER TABLE ${database}.events_raw MODIFY ${wanted}` });
  else if (days === 0 && engine.includes(' TTL ')) await client.command({ query: `ALTER TABLE ${database}.events_raw REMOVE TTL` });
}
