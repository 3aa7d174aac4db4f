import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@clickstream/logger';

export interface Migration {
  version: number;
  name: string;
  /** Statements for the given database; each is idempotent (IF NOT EXISTS) so a half-applied run can be repeated. */
  statements: (db: string) => string[];
}

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
];

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
    await client.insert({ table: `${database}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    logger.info({ version: m.version, migration: m.name }, 'ClickHouse migration applied');
    done.push(m.version);
  }
  return done;
}
