import type { Migration } from '../migration.js';

/**
 * Migration 2: each raw event's details (name, properties, referrer, UTM, browser, OS, device,
 * country, visitor), bots counted apart from the page views, the sites, and the daily salts.
 */
export const EVENT_DETAILS_MIGRATION: Migration = {
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
};
