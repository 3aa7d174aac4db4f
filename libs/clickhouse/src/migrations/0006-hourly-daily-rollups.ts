import type { Migration } from '../migration.js';
import { createView, rollupTablesOf } from '../rollup-tables.js';
import { SKETCH_BEFORE_V9 } from '../visitor-sketch.js';

/**
 * Migration 6: hourly and daily summaries of the rollups, which a long range reads for its whole
 * hours or days, and session starts by time; each is filled from its finer table for the events
 * stored before.
 */
export const HOURLY_DAILY_ROLLUPS_MIGRATION: Migration = {
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
};
