import type { Migration } from '../migration.js';

/** Migration 8: drops the per-session tables migration 7 replaced. */
export const DROP_SESSION_TABLES_MIGRATION: Migration = {
  version: 8,
  name: 'drop the per-session tables migration 7 replaced',
  // apart from 7, so a repeated run of 7 still finds what it fills the new tables from
  statements: (db) => [`DROP TABLE IF EXISTS ${db}.sessions`, `DROP TABLE IF EXISTS ${db}.session_starts`],
};
