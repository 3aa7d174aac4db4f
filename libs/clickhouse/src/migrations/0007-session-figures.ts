import type { Migration } from '../migration.js';
import { createView, rollupTablesOf } from '../rollup-tables.js';
import { SKETCH_BEFORE_V9 } from '../visitor-sketch.js';

/**
 * Migration 7: session figures summed from what each event changed in its session, per minute
 * and per day of the session's start. They replace the per-session tables, and are filled from
 * them for the events stored before.
 */
export const SESSION_FIGURES_MIGRATION: Migration = {
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
};
