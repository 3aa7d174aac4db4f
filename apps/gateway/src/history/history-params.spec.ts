import { describe, expect, it } from 'vitest';
import { ApiError } from '@clickstream/platform';
import { DIMENSIONS } from '@clickstream/clickhouse';
import {
  MAX_POINTS,
  checkTimeseries,
  comparisonRange,
  isSessionDimension,
  parseCompare,
  parseDimension,
  parseEventName,
  parsePropertyKey,
  parseInstant,
  parseInterval,
  parseLimit,
  parseRange,
  parseSite,
  parseTimezone,
  pointCount,
} from './history-params.js';

/** The 400 a call throws, as the client sees it. */
function refusal(fn: () => unknown): { status: number; error: string; field: string | undefined; detail: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, error: err.code, field: err.field, detail: err.detail };
    throw err;
  }
  throw new Error('expected a refusal');
}

const NOW = Date.UTC(2026, 10, 25, 13, 37, 42, 123);
const MIN = 60_000;

describe('history parameters', () => {
  it('accepts a valid site id and refuses another, naming site', () => {
    expect(parseSite('shop')).toBe('shop');
    expect(refusal(() => parseSite('<script>'))).toMatchObject({ status: 400, error: 'invalid_parameter', field: 'site' });
  });

  it('reads instants as ISO 8601 or epoch milliseconds, and refuses anything else naming the field', () => {
    expect(parseInstant('2026-11-25T10:00:00Z', 'from', 0)).toBe(Date.UTC(2026, 10, 25, 10));
    expect(parseInstant('1764064800000', 'from', 0)).toBe(1764064800000);
    expect(parseInstant(undefined, 'from', 7)).toBe(7);
    expect(parseInstant('', 'to', 7)).toBe(7);
    expect(refusal(() => parseInstant('yesterday', 'from', 0))).toMatchObject({ field: 'from' });
    expect(refusal(() => parseInstant('2300-01-01T00:00:00Z', 'to', 0))).toMatchObject({ field: 'to' });
    expect(refusal(() => parseInstant(['1', '2'], 'to', 0))).toMatchObject({ field: 'to', detail: 'expected a single value' });
  });

  it('defaults the range to today (UTC) so far, widened to whole minutes', () => {
    expect(parseRange(undefined, undefined, NOW)).toEqual({ from: Date.UTC(2026, 10, 25), to: Date.UTC(2026, 10, 25, 13, 38) });
  });

  it('widens a range that cuts minutes to the minutes it touches, and keeps an aligned one', () => {
    const from = Date.UTC(2026, 10, 25, 10, 0, 30);
    const to = Date.UTC(2026, 10, 25, 10, 5, 1);
    expect(parseRange(String(from), String(to), NOW)).toEqual({ from: from - 30_000, to: Date.UTC(2026, 10, 25, 10, 6) });
    expect(parseRange('2026-11-25T10:00:00Z', '2026-11-25T11:00:00Z', NOW)).toEqual({ from: Date.UTC(2026, 10, 25, 10), to: Date.UTC(2026, 10, 25, 11) });
  });

  it('refuses a range that ends before it starts, naming to', () => {
    expect(refusal(() => parseRange('2026-11-25T10:00:00Z', '2026-11-25T10:00:00Z', NOW))).toMatchObject({ field: 'to', detail: 'must be after "from"' });
    expect(refusal(() => parseRange(undefined, '2026-11-24T10:00:00Z', NOW))).toMatchObject({ field: 'to' });
  });

  it('takes minute, hour or day as interval, hour by default', () => {
    expect(parseInterval(undefined)).toBe('hour');
    expect(parseInterval('minute')).toBe('minute');
    expect(parseInterval('day')).toBe('day');
    expect(refusal(() => parseInterval('week'))).toMatchObject({ field: 'interval' });
    expect(refusal(() => parseInterval('Hour'))).toMatchObject({ field: 'interval' });
  });

  it('takes IANA time zones as their canonical name, UTC by default, and refuses others naming timezone', () => {
    expect(parseTimezone(undefined)).toBe('UTC');
    expect(parseTimezone('UTC')).toBe('UTC');
    expect(parseTimezone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(parseTimezone('Etc/UTC')).toBe('UTC');
    expect(parseTimezone('europe/berlin')).toBe('Europe/Berlin');
    // an alias resolves to a name in Intl's list, whichever spelling this ICU prefers
    expect(Intl.supportedValuesOf('timeZone')).toContain(parseTimezone('Asia/Kolkata'));
    for (const bad of ['Mars/Olympus', 'Europe/Berlin; DROP TABLE x', "UTC')", '+05:30', 'x'.repeat(100)]) {
      expect(refusal(() => parseTimezone(bad))).toMatchObject({ status: 400, error: 'invalid_parameter', field: 'timezone' });
    }
  });

  it('takes every stream dimension and the entry and exit pages, and refuses an unknown one naming dimension', () => {
    for (const d of DIMENSIONS) {
      expect(parseDimension(d)).toBe(d);
      expect(isSessionDimension(d)).toBe(false);
    }
    expect(parseDimension('entryPage')).toBe('entryPage');
    expect(isSessionDimension(parseDimension('exitPage'))).toBe(true);
    expect(refusal(() => parseDimension('city'))).toMatchObject({ field: 'dimension' });
    expect(refusal(() => parseDimension(undefined))).toMatchObject({ field: 'dimension', detail: 'required' });
  });

  it('takes a limit from 1 to 1000, 10 by default', () => {
    expect(parseLimit(undefined)).toBe(10);
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('1000')).toBe(1000);
    for (const bad of ['0', '1001', '-1', '2.5', 'ten', '1e3', '99999999999']) expect(refusal(() => parseLimit(bad))).toMatchObject({ field: 'limit' });
  });

  it('counts the points of a timeseries and refuses more than the cap, naming interval', () => {
    const day = { from: Date.UTC(2026, 10, 25), to: Date.UTC(2026, 10, 26) };
    expect(pointCount(day, 'minute')).toBe(1440);
    expect(pointCount(day, 'hour')).toBe(24);
    expect(pointCount({ from: day.from, to: day.from + 90 * MIN }, 'hour')).toBe(2);
    expect(() => checkTimeseries(day, 'minute')).not.toThrow();
    const long = { from: day.from, to: day.from + (MAX_POINTS + 1) * MIN };
    expect(refusal(() => checkTimeseries(long, 'minute'))).toMatchObject({ field: 'interval' });
    expect(() => checkTimeseries(long, 'hour')).not.toThrow();
  });

  it('refuses a timeseries its buckets cannot hold, naming from or to', () => {
    expect(refusal(() => checkTimeseries({ from: 0, to: 86_400_000 }, 'day'))).toMatchObject({ field: 'from' });
    expect(refusal(() => checkTimeseries({ from: Date.UTC(2150, 0, 1), to: Date.UTC(2150, 0, 2) }, 'day'))).toMatchObject({ field: 'to' });
  });

  describe('comparison', () => {
    it('takes previous or year, nothing by default, and refuses anything else naming compare', () => {
      expect(parseCompare(undefined)).toBeUndefined();
      expect(parseCompare('')).toBeUndefined();
      expect(parseCompare('previous')).toBe('previous');
      expect(parseCompare('year')).toBe('year');
      expect(refusal(() => parseCompare('last-week'))).toMatchObject({ status: 400, field: 'compare', detail: 'expected one of previous, year' });
      expect(refusal(() => parseCompare(['year', 'previous']))).toMatchObject({ status: 400, field: 'compare' });
    });

    it('compares with the period of the same length that ends where the range starts', () => {
      const range = { from: Date.UTC(2026, 10, 18, 9, 30), to: Date.UTC(2026, 10, 25, 13, 37) };
      const length = range.to - range.from;
      expect(comparisonRange(range, 'previous')).toEqual({ from: range.from - length, to: range.from });
    });

    it('compares with the same instants a UTC calendar year earlier, 29 February falling on 1 March', () => {
      expect(comparisonRange({ from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) }, 'year')).toEqual({ from: Date.UTC(2025, 10, 1), to: Date.UTC(2025, 11, 1) });
      // 2025 is not a leap year, 2024 is: the year before 2024-03-01 is 2023-03-01, and 2028-02-29's is 2027-03-01
      expect(comparisonRange({ from: Date.UTC(2028, 1, 29, 12), to: Date.UTC(2028, 2, 1) }, 'year')).toEqual({ from: Date.UTC(2027, 2, 1, 12), to: Date.UTC(2027, 2, 1) });
      expect(refusal(() => comparisonRange({ from: Date.UTC(1970, 5, 1), to: Date.UTC(1970, 6, 1) }, 'year'))).toMatchObject({ status: 400, field: 'compare' });
    });
  });

  it('takes a custom event name (required, as the collect API takes it) and a property name (optional), naming each when refused', () => {
    expect(parseEventName('signup')).toBe('signup');
    expect(parseEventName('<b>Buy now</b>')).toBe('<b>Buy now</b>');
    expect(refusal(() => parseEventName(undefined))).toMatchObject({ status: 400, field: 'event' });
    expect(parseEventName('x'.repeat(120))).toBe('x'.repeat(120));
    expect(refusal(() => parseEventName('x'.repeat(121)))).toMatchObject({ status: 400, field: 'event' });
    expect(parsePropertyKey(undefined)).toBeUndefined();
    expect(parsePropertyKey('utm.plan:v2')).toBe('utm.plan:v2');
    expect(refusal(() => parsePropertyKey('plan name'))).toMatchObject({ status: 400, field: 'key' });
    expect(refusal(() => parsePropertyKey(['a', 'b']))).toMatchObject({ status: 400, field: 'key' });
  });
});
