import type { TimeRange } from './history-params.js';

export const SECOND_MS = 1000;
export const HOUR_MS = 3_600_000;
/** A UTC day: the daily tables bucket by UTC day, whatever zone a caller reads in. */
export const DAY_MS = 86_400_000;

/**
 * The whole units of `unitMs` (aligned on the epoch) inside [from, to): what a coarse table can
 * answer, while [from, whole.from) and [whole.to, to) are read from the finer one. A range holding
 * no whole unit gives the empty [from, from), so the finer table reads the whole range.
 */
export function wholeUnits(range: TimeRange, unitMs: number): TimeRange {
  const from = Math.ceil(range.from / unitMs) * unitMs;
  const to = Math.floor(range.to / unitMs) * unitMs;
  return from < to ? { from, to } : { from: range.from, to: range.from };
}
