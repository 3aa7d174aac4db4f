import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { joinLiveTail, rangeOf, secondStrip, type ChartPoint } from './model.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;

describe('secondStrip', () => {
  it('lays seconds onto the last 60, the current one last, absent ones as 0', () => {
    const now = T0 + 59_400;
    const strip = secondStrip(
      [
        { windowStart: T0 - 1_000, pageviews: 9 }, // 60 s ago: out of the strip
        { windowStart: T0, pageviews: 2 },
        { windowStart: T0 + 30_000, pageviews: 3 },
        { windowStart: T0 + 59_000, pageviews: 1 },
      ],
      now,
    );
    expect(strip.counts).toHaveLength(60);
    expect(strip.counts[0]).toBe(2);
    expect(strip.counts[30]).toBe(3);
    expect(strip.counts[59]).toBe(1);
    expect(strip.counts.filter((n) => n > 0)).toHaveLength(3);
    expect(strip.total).toBe(6);
  });

  it('scrolls: a second leaves the strip 60 s after it started', () => {
    const seconds = [{ windowStart: T0, pageviews: 4 }];
    expect(secondStrip(seconds, T0 + 59_999).total).toBe(4);
    expect(secondStrip(seconds, T0 + 60_000).total).toBe(0);
  });

  it('counts a second stamped ahead of the clock in the current one', () => {
    const strip = secondStrip([{ windowStart: T0 + 2_000, pageviews: 5 }], T0 + 500);
    expect(strip.counts[59]).toBe(5);
    expect(strip.total).toBe(5);
  });
});

describe('rangeOf', () => {
  const tz = process.env['TZ'];
  beforeEach(() => {
    // a zone with a DST change inside the 7-day range below
    process.env['TZ'] = 'Europe/Berlin';
  });
  afterEach(() => {
    if (tz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = tz;
  });

  it('reads the last 30 minutes in minute buckets, whole minutes from 29 minutes before the current one', () => {
    const now = T0 + 42_000;
    expect(rangeOf('30m', now)).toEqual({ from: T0 - 29 * MIN, to: now, interval: 'minute' });
  });

  it('starts today, 7 days and 30 days at local midnight, across a DST change', () => {
    const now = new Date(2026, 2, 30, 15, 20).getTime(); // 30 March, the day after Berlin's change to summer time
    expect(rangeOf('today', now)).toEqual({ from: new Date(2026, 2, 30).getTime(), to: now, interval: 'minute' });
    const week = rangeOf('7d', now);
    expect(week).toEqual({ from: new Date(2026, 2, 24).getTime(), to: now, interval: 'hour' });
    // 6 days 15 h 20 min on the wall clock, of which one hour never happened
    expect(now - week.from).toBe((6 * 24 + 15) * 3_600_000 + 20 * MIN - 3_600_000);
    expect(rangeOf('30d', now)).toEqual({ from: new Date(2026, 2, 1).getTime(), to: now, interval: 'day' });
  });
});

describe('joinLiveTail', () => {
  const stored = (t: number, pageviews: number): ChartPoint => ({ t, pageviews, visitors: pageviews });
  const now = T0 + 10 * MIN + 20_000; // during minute T0+10
  const range = { from: T0, to: now, interval: 'minute' as const };

  it('takes the live count of a minute when it is larger, and always for the last two minutes', () => {
    const points = [stored(T0 + 5 * MIN, 7), stored(T0 + 6 * MIN, 3), stored(T0 + 9 * MIN, 9), stored(T0 + 10 * MIN, 1)];
    const live = [
      { windowStart: T0 + 5 * MIN, pageviews: 6 }, // stored is complete and larger: kept
      { windowStart: T0 + 6 * MIN, pageviews: 4 }, // stored lags: live wins
      { windowStart: T0 + 9 * MIN, pageviews: 8 }, // last two minutes: live wins even when smaller
      { windowStart: T0 + 10 * MIN, pageviews: 2 },
    ];
    expect(joinLiveTail(points, 'minute', live, range, now).map((p) => p.pageviews)).toEqual([7, 4, 8, 2]);
  });

  it('appends the live minutes after the last stored one, with no visitor figure', () => {
    const points = [stored(T0 + 8 * MIN, 2)];
    const live = [
      { windowStart: T0 + 8 * MIN, pageviews: 2 },
      { windowStart: T0 + 10 * MIN, pageviews: 5 },
    ];
    expect(joinLiveTail(points, 'minute', live, range, now)).toEqual([
      { t: T0 + 8 * MIN, pageviews: 2, visitors: 2 },
      { t: T0 + 9 * MIN, pageviews: 0, visitors: null },
      { t: T0 + 10 * MIN, pageviews: 5, visitors: null },
    ]);
  });

  it('builds the chart from the live tail alone when history has nothing, starting at the range', () => {
    const live = [
      { windowStart: T0 - 2 * MIN, pageviews: 1 }, // before the range
      { windowStart: T0 + MIN, pageviews: 3 },
    ];
    expect(joinLiveTail([], 'minute', live, range, now).map((p) => [p.t, p.pageviews])).toEqual([
      [T0, 0],
      [T0 + MIN, 3],
    ]);
  });

  it('leaves hour buckets as stored: 30 live minutes never cover one', () => {
    const points = [stored(T0, 1)];
    expect(joinLiveTail(points, 'hour', [{ windowStart: T0, pageviews: 50 }], { ...range, interval: 'hour' }, now)).toEqual(points);
  });
});
