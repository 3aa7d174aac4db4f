import type { Migration } from '../migration.js';
import { createView, rollupTablesOf } from '../rollup-tables.js';
import { SKETCH_BEFORE_V9 } from '../visitor-sketch.js';

/**
 * Migration 3: each raw event's session and lateness; the per-minute rollups, breakdowns and
 * per-session table (see ROLLUP_TABLES), each filled by its view; and the replay epochs.
 */
export const MINUTE_ROLLUPS_MIGRATION: Migration = {
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
};
