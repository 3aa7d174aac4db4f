import type { Migration } from '../migration.js';

/**
 * Migration 1: raw events, per-second pageview rollups per Kafka partition, and the
 * highest stored offset per partition. The rollup and progress tables are filled by
 * materialized views from the raw insert, so one deduplicated insert updates all three.
 */
export const RAW_EVENTS_MIGRATION: Migration = {
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
};
