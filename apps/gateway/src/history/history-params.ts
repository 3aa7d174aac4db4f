import { EVENT_NAME_MAX, PROPERTY_KEY, siteId } from '@clickstream/events';
import { ApiError } from '@clickstream/platform';
import { DIMENSIONS, type Dimension } from '@clickstream/clickhouse';

/**
 * Parsing and validation of the history API's query parameters, pure so it is tested without
 * a server. Every refusal is a 400 `invalid_parameter` naming the parameter.
 */

export const INTERVALS = ['minute', 'hour', 'day'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Readonly<Record<Interval, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Dimensions read from the sessions table: a session counts once, under its first or last page. */
export const SESSION_DIMENSIONS = ['entryPage', 'exitPage'] as const;
export type SessionDimension = (typeof SESSION_DIMENSIONS)[number];
export type BreakdownDimension = Dimension | SessionDimension;
export const BREAKDOWN_DIMENSIONS: readonly BreakdownDimension[] = [...DIMENSIONS, ...SESSION_DIMENSIONS];

export const MAX_POINTS = 2000;
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
export const DEFAULT_INTERVAL: Interval = 'hour';

const MINUTE_MS = 60_000;
const MAX_INSTANT = Date.UTC(2200, 0, 1);
/** Bucket starts are ClickHouse DateTime values (1970 to 2106): a local day before 1970-01-02 would not fit. */
const TIMESERIES_MIN = Date.UTC(1970, 0, 2);
const TIMESERIES_MAX = Date.UTC(2106, 0, 1);

/** Half-open [from, to) in epoch milliseconds. */
export interface TimeRange {
  from: number;
  to: number;
}

const invalid = (field: string, detail: string): ApiError => ApiError.badRequest('invalid_parameter', detail, field);

/** A query parameter given once, or undefined; a repeated one (`?a=1&a=2`) is refused. */
function single(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  throw invalid(field, 'expected a single value');
}

export function parseSite(value: string): string {
  const parsed = siteId.safeParse(value);
  if (!parsed.success) throw invalid('site', parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

/** ISO 8601 or epoch milliseconds between 1970 and 2200; `fallback` when absent or empty. */
export function parseInstant(value: unknown, field: string, fallback: number): number {
  const text = single(value, field);
  if (text === undefined || text === '') return fallback;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_INSTANT) {
    throw invalid(field, 'expected an ISO 8601 date-time or epoch milliseconds between 1970 and 2200');
  }
  return ms;
}

export const startOfUtcDay = (ms: number): number => ms - (ms % 86_400_000);

/**
 * The range to read, today (UTC) so far by default, widened to whole minutes: the rollups
 * count by minute, so a range that cut a minute would count events outside it or miss some.
 */
export function parseRange(from: unknown, to: unknown, now: number): TimeRange {
  const fromMs = parseInstant(from, 'from', startOfUtcDay(now));
  const toMs = parseInstant(to, 'to', now);
  if (fromMs >= toMs) throw invalid('to', 'must be after "from"');
  return { from: Math.floor(fromMs / MINUTE_MS) * MINUTE_MS, to: Math.ceil(toMs / MINUTE_MS) * MINUTE_MS };
}

export function parseInterval(value: unknown): Interval {
  const text = single(value, 'interval');
  if (text === undefined || text === '') return DEFAULT_INTERVAL;
  if ((INTERVALS as readonly string[]).includes(text)) return text as Interval;
  throw invalid('interval', `expected one of ${INTERVALS.join(', ')}`);
}

let knownZones: ReadonlySet<string> | undefined;

/**
 * An IANA time zone, as Intl's canonical name ('Asia/Kolkata' may come back as 'Asia/Calcutta',
 * 'Etc/UTC' as 'UTC'), so the name handed to ClickHouse is one of a known list with exact case.
 */
export function parseTimezone(value: unknown): string {
  const text = single(value, 'timezone');
  if (text === undefined || text === '') return 'UTC';
  knownZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  let canonical: string | undefined;
  try {
    canonical = text.length <= 64 ? new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone : undefined;
  } catch {
    canonical = undefined;
  }
  if (canonical === undefined || !knownZones.has(canonical)) throw invalid('timezone', 'expected an IANA time zone name such as UTC or Europe/Berlin');
  return canonical;
}

export function parseDimension(value: unknown): BreakdownDimension {
  const text = single(value, 'dimension');
  if (text === undefined || text === '') throw invalid('dimension', 'required');
  if ((BREAKDOWN_DIMENSIONS as readonly string[]).includes(text)) return text as BreakdownDimension;
  throw invalid('dimension', `expected one of ${BREAKDOWN_DIMENSIONS.join(', ')}`);
}

export function isSessionDimension(d: BreakdownDimension): d is SessionDimension {
  return (SESSION_DIMENSIONS as readonly string[]).includes(d);
}

/** A custom event name, required: 1 to EVENT_NAME_MAX characters, as the collect API takes them. */
export function parseEventName(value: unknown): string {
  const text = single(value, 'event');
  if (text === undefined || text === '') throw invalid('event', 'required: the name of a custom event');
  if (text.length > EVENT_NAME_MAX) throw invalid('event', `longer than ${EVENT_NAME_MAX} characters`);
  return text;
}

/** A custom event property's name, optional, in the collect API's form. */
export function parsePropertyKey(value: unknown): string | undefined {
  const text = single(value, 'key');
  if (text === undefined || text === '') return undefined;
  if (!PROPERTY_KEY.test(text)) throw invalid('key', 'expected a property name: 1-64 letters, digits, "_", ".", ":" or "-"');
  return text;
}

export function parseLimit(value: unknown): number {
  const text = single(value, 'limit');
  if (text === undefined || text === '') return DEFAULT_LIMIT;
  const n = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw invalid('limit', `expected an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

/** What a range can be compared with: the same length just before it, or the same dates a year earlier. */
export const COMPARISONS = ['previous', 'year'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export function parseCompare(value: unknown): Comparison | undefined {
  const text = single(value, 'compare');
  if (text === undefined || text === '') return undefined;
  if ((COMPARISONS as readonly string[]).includes(text)) return text as Comparison;
  throw invalid('compare', `expected one of ${COMPARISONS.join(', ')}`);
}

/** One UTC calendar year earlier; a 29 February becomes 1 March (the year before has none). */
const yearBefore = (ms: number): number => {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  return d.getTime();
};

/**
 * The range a comparison reads: `previous`, the range of the same length that ends where this
 * one starts; `year`, the same instants one UTC calendar year earlier. Refused before 1970.
 */
export function comparisonRange(range: TimeRange, compare: Comparison): TimeRange {
  const shifted = compare === 'previous' ? { from: 2 * range.from - range.to, to: range.from } : { from: yearBefore(range.from), to: yearBefore(range.to) };
  if (shifted.from < 0) throw invalid('compare', 'the period compared with would start before 1970');
  return shifted;
}

/** Intervals the range spans (a bucket not aligned with the range start may add one). */
export function pointCount(range: TimeRange, interval: Interval): number {
  return Math.ceil((range.to - range.from) / INTERVAL_MS[interval]);
}

/** A timeseries range: inside what the buckets can hold, and at most MAX_POINTS intervals long. */
export function checkTimeseries(range: TimeRange, interval: Interval): void {
  if (range.from < TIMESERIES_MIN) throw invalid('from', 'a timeseries starts on 1970-01-02 or later');
  if (range.to > TIMESERIES_MAX) throw invalid('to', 'a timeseries ends on 2106-01-01 or earlier');
  const points = pointCount(range, interval);
  if (points > MAX_POINTS) throw invalid('interval', `${points} ${interval}s in the range, at most ${MAX_POINTS} points: use a longer interval or a shorter range`);
}
