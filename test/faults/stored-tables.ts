import { expect } from 'vitest';
import type { ClickHouseClient } from '@clickstream/clickhouse';

/** What the tables hold against what the load generator was told was accepted. */
export interface StoredSummary {
  acknowledged: number;
  storedRows: number;
  ratio: string;
  duplicates: number;
  missing: string[];
  extra: string[];
  distinctEventIds: number;
  rawCounts: Record<string, string>;
  rollupCounts: Record<string, string>;
  /**
   * Where duplicate rows came from, for a failing run: per insert token holding a second copy of
   * an event, how many such rows, and whether the copies share their Kafka offset (the same record
   * stored twice) or not (a record produced twice and not recognised by its id).
   */
  duplicateSources: { token: string; rows: number; sameOffset: number; partitions: string; offsets: string }[];
}

/** Reads the raw rows and every rollup family of a database, and compares them with the acknowledged ids. */
export async function storedSummary(clickhouse: ClickHouseClient, db: string, acked: ReadonlySet<string>): Promise<StoredSummary> {
  const query = async <T>(sql: string): Promise<T[]> => (await clickhouse.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  const stored = new Set((await query<{ id: string }>(`SELECT client_event_id AS id FROM ${db}.events_raw`)).map((r) => r.id));
  const [raw] = await query<Record<string, string>>(
    `SELECT count() AS rows, uniqExact(client_event_id) AS ids, uniqExact(event_id) AS eventIds,
            countIf(type = 'pageview' AND NOT is_bot) AS pageviews, countIf(type = 'event' AND NOT is_bot) AS customEvents,
            countIf(is_bot) AS bots, countIf(NOT is_bot AND session_start) AS sessions,
            uniqExactIf(session_id, NOT is_bot AND type = 'pageview') AS sessionsWithPageviews
     FROM ${db}.events_raw`,
  );
  const [rollups] = await query<Record<string, string>>(
    `SELECT (SELECT sum(pageviews) FROM ${db}.rollup_1m) AS pageviews,
            (SELECT sum(custom_events) FROM ${db}.rollup_1m) AS customEvents,
            (SELECT sum(bot_events) FROM ${db}.rollup_1m) AS bots,
            (SELECT sum(pageviews) FROM ${db}.pageviews_1s) AS secondPageviews,
            (SELECT sum(sessions) FROM ${db}.sessions_1m WHERE dimension = '') AS sessions,
            (SELECT sum(sessions) FROM ${db}.sessions_1m WHERE dimension = 'entryPage') AS entries,
            (SELECT sum(sessions) FROM ${db}.sessions_1m WHERE dimension = 'exitPage') AS exits,
            (SELECT sum(events) FROM ${db}.breakdown_1m WHERE dimension = 'page') AS pagePageviews`,
  );
  const duplicateSources = await query<{ token: string; rows: string; sameOffset: string; partitions: string; offsets: string }>(
    `SELECT insert_token AS token, count() AS rows, countIf(copies_at_offset > 1) AS sameOffset,
            toString(groupUniqArray(kafka_partition)) AS partitions, concat(toString(min(kafka_offset)), '-', toString(max(kafka_offset))) AS offsets
     FROM (SELECT insert_token, kafka_partition, kafka_offset, client_event_id,
                  count() OVER (PARTITION BY kafka_topic, kafka_partition, kafka_offset) AS copies_at_offset,
                  row_number() OVER (PARTITION BY client_event_id ORDER BY received_at, insert_token) AS copy
           FROM ${db}.events_raw
           WHERE client_event_id IN (SELECT client_event_id FROM ${db}.events_raw GROUP BY client_event_id HAVING count() > 1))
     WHERE copy > 1
     GROUP BY insert_token ORDER BY min(kafka_offset) LIMIT 20`,
  );
  const rows = Number(raw!['rows']);
  return {
    acknowledged: acked.size,
    storedRows: rows,
    ratio: (rows / acked.size).toFixed(3),
    duplicates: rows - Number(raw!['ids']),
    missing: [...acked].filter((e) => !stored.has(e)),
    extra: [...stored].filter((e) => !acked.has(e)),
    distinctEventIds: Number(raw!['eventIds']),
    rawCounts: raw!,
    rollupCounts: rollups!,
    duplicateSources: duplicateSources.map((d) => ({ ...d, rows: Number(d.rows), sameOffset: Number(d.sameOffset) })),
  };
}

/** Every acknowledged event stored once, nothing else, and each rollup equal to the raw rows' count. */
export function expectExact(summary: StoredSummary): void {
  const raw = summary.rawCounts;
  expect(summary.missing.slice(0, 5), 'acknowledged but not stored').toEqual([]);
  expect(summary.extra.slice(0, 5), 'stored but never acknowledged').toEqual([]);
  expect(summary.duplicates).toBe(0);
  expect(summary.distinctEventIds).toBe(summary.storedRows);
  expect(summary.ratio).toBe('1.000');
  expect(summary.rollupCounts).toEqual({
    pageviews: raw['pageviews'],
    customEvents: raw['customEvents'],
    bots: raw['bots'],
    secondPageviews: raw['pageviews'],
    sessions: raw['sessions'],
    entries: raw['sessionsWithPageviews'],
    exits: raw['sessionsWithPageviews'],
    pagePageviews: raw['pageviews'],
  });
}
