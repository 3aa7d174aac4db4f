import type { Migration } from '../migration.js';

/**
 * Migration 10: each site's goals (a page path with * wildcards, or a custom event name with an
 * optional property value). A change is a new row with a newer version; a removal is a row
 * marked deleted, so every gateway reads the same list (FINAL keeps the newest row per goal).
 */
export const GOALS_MIGRATION: Migration = {
  version: 10,
  name: 'goals',
  statements: (db) => [
    `CREATE TABLE IF NOT EXISTS ${db}.goals (
       site LowCardinality(String),
       id String,
       kind LowCardinality(String),
       target String,
       prop_key String,
       prop_value String,
       created_at DateTime64(3, 'UTC'),
       deleted UInt8,
       version UInt64
     ) ENGINE = ReplacingMergeTree(version)
     ORDER BY (site, id)`,
  ],
};
