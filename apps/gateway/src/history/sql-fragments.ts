import type { Interval } from './history-params.js';

/** SQL text the history reads share: fixed per validated name, never user text. */

/** One bucket of each interval, as ClickHouse steps it. */
export const STEP: Readonly<Record<Interval, string>> = { minute: 'INTERVAL 1 MINUTE', hour: 'INTERVAL 1 HOUR', day: 'INTERVAL 1 DAY' };

/** The instant held by an Int64 parameter of epoch milliseconds. */
export const instant = (param: string): string => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;
/** The range's start and end, parameters `from` and `to`. */
export const FROM = instant('from');
export const TO = instant('to');

/**
 * A raw event row that belongs to a session, keyed by `session_key` (migration 14): the session's
 * id as a UUID, the nil UUID on rows stored before events had sessions (an id ingest never makes).
 */
export const HAS_SESSION = "session_key != toUUID('00000000-0000-0000-0000-000000000000')";

/** The whole hours or days of the range, read from the coarse table; the rest of the range comes from the fine one. */
export const WHOLE_FROM = instant('wholeFrom');
export const WHOLE_TO = instant('wholeTo');

/** The fine table's rows of a range outside its whole units: [from, wholeFrom) and [wholeTo, to). */
export const edges = (column: string): string => `((${column} >= ${FROM} AND ${column} < ${WHOLE_FROM}) OR (${column} >= ${WHOLE_TO} AND ${column} < ${TO}))`;

/**
 * Rows of a daily summary (`daily`, a SELECT ending in its WHERE) for the range's whole UTC days,
 * and of the raw events (`raw(where)`) for the part days at either end; under filters (`filtered`,
 * their condition on raw rows), which no summary answers, the raw events of the whole range.
 */
export function daysThenRaw(daily: string, raw: (where: string) => string, filtered: string | undefined): string {
  if (filtered !== undefined) return raw(`event_time >= ${FROM} AND event_time < ${TO} AND ${filtered}`);
  return `${daily} AND day >= ${WHOLE_FROM} AND day < ${WHOLE_TO}
          UNION ALL
          ${raw(edges('event_time'))}`;
}
