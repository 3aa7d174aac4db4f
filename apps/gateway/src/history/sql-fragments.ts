import type { Interval } from './history-params.js';

/** SQL text the history reads share: fixed per validated name, never user text. */

/** One bucket of each interval, as ClickHouse steps it. */
export const STEP: Readonly<Record<Interval, string>> = { minute: 'INTERVAL 1 MINUTE', hour: 'INTERVAL 1 HOUR', day: 'INTERVAL 1 DAY' };

/** The instant held by an Int64 parameter of epoch milliseconds. */
export const instant = (param: string): string => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;
/** The range's start and end, parameters `from` and `to`. */
export const FROM = instant('from');
export const TO = instant('to');
