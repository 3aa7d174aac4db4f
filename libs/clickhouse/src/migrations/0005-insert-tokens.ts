import type { Migration } from '../migration.js';

/** Migration 5: the deduplication token of the insert that stored each raw event. */
export const INSERT_TOKENS_MIGRATION: Migration = {
  version: 5,
  name: 'the deduplication token of the insert that stored each raw event',
  statements: (db) => [
    // an insert reaches the raw table and its views one after the other; after a crash in
    // between, the aggregator sends the same rows again under this token to fill the views
    `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS insert_token LowCardinality(String) DEFAULT ''`,
  ],
};
