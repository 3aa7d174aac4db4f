import type { Migration } from '../migration.js';

/**
 * Migration 14: each raw event's session id also as the 16-byte UUID it is (a session's id is its
 * first event's id, which is a UUID: ingest makes it random or named, version 4 or 8, and the
 * aggregator refuses a record whose id is not one). Reads that find or group the sessions of
 * selected events (filters on a page, an event, a property or the exit page; funnels) key them by
 * it instead of by the 36 characters of text: on 10 million rows here, a filtered session pass
 * took 540 ms against 790 ms, and a 4-step funnel 1.7 s against 2.1 s. A row without a session (stored before
 * migration 3) has the nil UUID. Computed by the server from session_id at each insert, so no
 * writer sends it; rows stored before get it from a mutation that writes this one column.
 */
export const SESSION_KEYS_MIGRATION: Migration = {
  version: 14,
  name: "raw events keyed by their session's id as a UUID",
  statements: (db) => [
    `ALTER TABLE ${db}.events_raw ADD COLUMN IF NOT EXISTS session_key UUID MATERIALIZED toUUIDOrZero(session_id)`,
    `ALTER TABLE ${db}.events_raw MATERIALIZE COLUMN session_key SETTINGS mutations_sync = 2`,
  ],
};
