import type { Migration } from '../migration.js';

/** Migration 4: each site's dashboard token version, and the shared secrets the tokens are derived from. */
export const DASHBOARD_TOKENS_MIGRATION: Migration = {
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
};
