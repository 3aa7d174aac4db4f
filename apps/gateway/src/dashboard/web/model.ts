import type { LiveState } from '../../live/live.events.js';

/**
 * The dashboard's arithmetic, free of the DOM and of the clock (time is passed in), so it is
 * unit-tested in Node: the per-second strip, the ranges, and the join of history and live tail.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export type Interval = 'minute' | 'hour' | 'day';

export const RANGE_KEYS = ['30m', 'today', '7d', '30d'] as const;
export type RangeKey = (typeof RANGE_KEYS)[number];

export const RANGE_LABELS: Readonly<Record<RangeKey, string>> = { '30m': 'Last 30 minutes', today: 'Today', '7d': 'Last 7 days', '30d': 'Last 30 days' };

export const isRangeKey = (value: unknown): value is RangeKey => (RANGE_KEYS as readonly unknown[]).includes(value);

/** Half-open [from, to) in epoch ms, with the bucket size the chart asks for. */
export interface Range {
  from: number;
  to: number;
  interval: Interval;
}

/** Local midnight of the day holding `ms`, `daysBack` calendar days earlier (DST-safe: the Date does the calendar). */
function localMidnight(ms: number, daysBack = 0): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - daysBack);
  return d.getTime();
}

/** The range a picker choice stands for, in the browser's time zone (the one sent as `timezone`). */
export function rangeOf(key: RangeKey, now: number): Range {
  switch (key) {
    case '30m':
      return { from: Math.floor(now / MINUTE_MS) * MINUTE_MS - 29 * MINUTE_MS, to: now, interval: 'minute' };
    case 'today':
      return { from: localMidnight(now), to: now, interval: 'minute' };
    case '7d':
      return { from: localMidnight(now, 6), to: now, interval: 'hour' };
    case '30d':
      return { from: localMidnight(now, 29), to: now, interval: 'day' };
    default: {
      const never: never = key;
      throw new Error(`unknown range ${String(never)}`);
    }
  }
}

/** The last 60 seconds as a bar strip: `counts[59]` is the current second, absent seconds are 0. */
export interface SecondStrip {
  counts: number[];
  total: number;
}

/**
 * Lays the state's seconds onto the 60 seconds ending with the one holding `now` (server time).
 * A second stamped after `now` (clock drift between servers) counts in the current one rather than vanishing.
 */
export function secondStrip(seconds: LiveState['seconds'], now: number): SecondStrip {
  const current = Math.floor(now / SECOND_MS) * SECOND_MS;
  const first = current - 59 * SECOND_MS;
  const counts = new Array<number>(60).fill(0);
  let total = 0;
  for (const s of seconds) {
    if (s.windowStart < first) continue;
    const index = Math.min(59, Math.floor((s.windowStart - first) / SECOND_MS));
    counts[index] = (counts[index] ?? 0) + s.pageviews;
    total += s.pageviews;
  }
  return { counts, total };
}

export interface ChartPoint {
  t: number;
  pageviews: number;
  /** null where only the live tail knows the minute: live state counts page views, not visitors. */
  visitors: number | null;
}

/**
 * Per-minute history joined with the live tail. History lags the stream by a flush, so for a
 * minute the live state covers, the live figure wins when it is larger, and always for the last
 * two minutes, whose stored rows may still be partial. Live minutes after the last stored point
 * (inside the range) are appended. Hour and day buckets are never wholly covered by the 30 live
 * minutes, so they are left as stored.
 */
export function joinLiveTail(points: readonly ChartPoint[], interval: Interval, live: LiveState['minutes'], range: Range, now: number): ChartPoint[] {
  if (interval !== 'minute' || live.length === 0) return points.map((p) => ({ ...p }));
  const liveByMinute = new Map(live.map((m) => [m.windowStart, m.pageviews]));
  const recentFrom = Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const joined = points.map((p) => {
    const value = liveByMinute.get(p.t);
    if (value === undefined) return { ...p };
    return { ...p, pageviews: p.t >= recentFrom ? value : Math.max(p.pageviews, value) };
  });
  let last = joined.length > 0 ? joined[joined.length - 1]!.t : Math.floor(range.from / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const newest = Math.max(...live.map((m) => m.windowStart));
  for (let t = last + MINUTE_MS; t <= newest && t < range.to; t += MINUTE_MS) {
    if (t < range.from) continue;
    joined.push({ t, pageviews: liveByMinute.get(t) ?? 0, visitors: null });
    last = t;
  }
  return joined;
}

