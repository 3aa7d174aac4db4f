import { ApiError } from '@clickstream/platform';
import { goalCondition } from '../goals/goal-condition.js';
import { likePattern } from './funnel-steps.js';
import { FROM, HAS_SESSION, TO } from './sql-fragments.js';
import { MAX_FILTERS, PROPERTY_PREFIX, readFilter, type Filter, type FilterOperator } from './filter-syntax.js';

/**
 * The history API's `filter` parameters (syntax in filter-syntax.ts) and the SQL they become over
 * the raw events. Pure: the SQL is fixed text naming parameters (f0, f1...), the user's values
 * travel only as parameter values, so it is tested without a server.
 *
 * What a filter selects: events. A filter on an event's own value (page, country, browser, OS,
 * device, custom event name, property, tag) keeps the events that have it. The source of a visit
 * (referrer, UTM source, medium, campaign) and its entry page are the session's first page view's,
 * and its exit page its last one's: a filter on them keeps every event of the sessions that came
 * that way, as a visit's source is read in Plausible (a page view inside a site has no referrer
 * of its own). Session figures (sessions, bounces, durations, funnels) count the sessions that
 * hold at least one selected event, whole. Bots have no sessions: session filters never select them.
 *
 * Speed: every raw event carries its session's entry (migration 11), so a filter on a visit's
 * source or entry page is a condition on each row's own columns. So is one on country, browser,
 * OS or device, which a visitor's events share (the visitor id is a hash of the address and the
 * User-Agent they come from). Under such filters alone, a selected session's events are all
 * selected (from its first page view on, for a visit's source), so the session figures are sums
 * over the selected rows. Filters on an event's own page, name or property, or on the exit page,
 * select sessions by their keys (a session's id as a 16-byte UUID, migration 14): a second pass
 * over the range, slower.
 */

export type { Filter } from './filter-syntax.js';

/**
 * Settings of every read under filters. A set of session ids is no key of events_raw's index, but
 * ClickHouse still ran it through the index analysis of each part: 6 s against 1 s without, on
 * 10 million rows and a set of 340,000 sessions, measured here.
 */
export const FILTERED_READ_SETTINGS = { use_index_for_in_with_subqueries: 0 } as const;

/** A session's events are read up to a day after the range ends (sessions end after 30 minutes without events). */
export const SESSION_TAIL = 'INTERVAL 1 DAY';

/** The column of each raw event holding its session's entry (its first page view): the visit's dimensions. */
const ENTRY_VALUE: Readonly<Record<string, string>> = {
  entryPage: 'entry_page',
  referrer: 'entry_referrer',
  utmSource: 'entry_utm_source',
  utmMedium: 'entry_utm_medium',
  utmCampaign: 'entry_utm_campaign',
};

/** Dimensions every event of a session shares (a visit's, and a visitor's): a filter on them selects whole sessions. */
const SESSION_CONSTANT: ReadonlySet<string> = new Set([...Object.keys(ENTRY_VALUE), 'country', 'browser', 'os', 'device']);

/** The column of an event row holding each dimension's value ('' where it has none). */
const ROW_VALUE: Readonly<Record<string, string>> = {
  page: 'path',
  country: "ifNull(country, '')",
  browser: "ifNull(browser, '')",
  os: "ifNull(os, '')",
  device: 'device',
  event: "if(type = 'event', name, '')",
  tag: 'tag',
};

/** `filter` given 0 to MAX_FILTERS times; a bad one is a 400 naming `filter` and saying which and why. */
export function parseFilters(value: unknown): Filter[] {
  if (value === undefined) return [];
  const texts = Array.isArray(value) ? value : [value];
  if (texts.length > MAX_FILTERS) throw invalid(`${texts.length} filters, at most ${MAX_FILTERS}`);
  return texts.map((text, i) => {
    if (typeof text !== 'string') throw invalid(`filter ${i + 1}: expected text`);
    const read = readFilter(text);
    if (!read.ok) throw invalid(`filter ${i + 1} "${text.slice(0, 60)}": ${read.reason}`);
    return read.filter;
  });
}

const invalid = (detail: string): ApiError => ApiError.badRequest('invalid_parameter', detail, 'filter');

/** The SQL of a set of filters over events_raw rows of {site:String} in [{from}, {to}). */
export interface FilterSql {
  /** A condition on an events_raw row: true when it is selected ('1' without filters). */
  rows: string;
  /** A SELECT of the keys (session_key) of the sessions holding a selected (non-bot) event in the range. */
  sessions: string;
  /** A condition on a row: it belongs to a session holding a selected event ('1' without filters). */
  inSelectedSessions: string;
  /**
   * True when the filters select whole sessions (from their first page view on when `visit`):
   * then a session's figures are sums over the selected rows, and `inSelectedSessions` is `rows`.
   */
  wholeSessions: boolean;
  /** True when a filter is on a visit's source or entry page: its sessions are selected from their first page view. */
  visit: boolean;
  params: Record<string, string | string[]>;
}

/** Operators whose values are patterns: `*` any run of characters (LIKE patterns in their parameter, see `likePattern`). */
const PATTERN_OPERATORS: ReadonlySet<FilterOperator> = new Set(['*=', '!*=']);

/**
 * How a value compares with the filter's values ({param:Array(String)}), or for a pattern
 * operator with its `count` patterns ({param_0:String}...: one LIKE each, whose constant pattern
 * the server compiles once: filtered totals under a page pattern over 10 million rows took
 * 0.77-0.94 s here, as under `~`, against 1.7-2.1 s with the patterns as one array tried by a
 * lambda on every row). A pattern matches a value that is there: a missing one reads as '',
 * which `*` would match, and no other operator selects it either (values are never empty), so
 * `!*=` keeps it as `!=` does.
 */
function compare(expr: string, operator: FilterOperator, param: string, count: number): string {
  const values = `{${param}:Array(String)}`;
  const matches = (): string => `(${expr} != '' AND (${Array.from({ length: count }, (_v, j) => `${expr} LIKE {${param}_${j}:String}`).join(' OR ')}))`;
  switch (operator) {
    case '==':
      return `${expr} IN ${values}`;
    case '!=':
      return `${expr} NOT IN ${values}`;
    case '~':
      return `multiSearchAnyCaseInsensitiveUTF8(${expr}, ${values})`;
    case '!~':
      return `NOT multiSearchAnyCaseInsensitiveUTF8(${expr}, ${values})`;
    case '*=':
      return matches();
    case '!*=':
      return `NOT ${matches()}`;
  }
}

export function filterSql(filters: readonly Filter[], db: string): FilterSql {
  const params: Record<string, string | string[]> = {};
  const conditions = filters.map((filter, i) => {
    const param = `f${i}`;
    if (filter.dimension === 'goal') {
      // the rows that convert any of the goals (resolveGoalFilters looked them up by id); the goals' own values are the parameters
      if (filter.goals?.length !== filter.values.length) throw new Error(`goal filter ${filter.values.join('|')} was not resolved`);
      const converts = filter.goals.map((goal, j) => goalCondition(goal, `${param}_${j}`));
      for (const c of converts) Object.assign(params, c.params);
      const any = `(${converts.map((c) => c.sql).join(' OR ')})`;
      return filter.operator === '!=' ? `NOT ${any}` : any;
    }
    if (PATTERN_OPERATORS.has(filter.operator)) filter.values.forEach((v, j) => (params[`${param}_${j}`] = likePattern(v)));
    else params[param] = filter.values;
    if (filter.dimension.startsWith(PROPERTY_PREFIX)) {
      params[`${param}k`] = filter.dimension.slice(PROPERTY_PREFIX.length);
      // a missing property reads as '', which no value equals or contains (values are never empty)
      return compare(`props[{${param}k:String}]`, filter.operator, param, filter.values.length);
    }
    const entry = ENTRY_VALUE[filter.dimension];
    // '' before the session's first page view: such an event has no entry for any filter to select
    if (entry !== undefined) return `NOT is_bot AND entry_page != '' AND ${compare(entry, filter.operator, param, filter.values.length)}`;
    if (filter.dimension === 'exitPage') {
      // the exit page is the session's last page view, among its events up to a day after the range
      return `session_key IN (SELECT session_key FROM ${db}.events_raw
                WHERE site = {site:String} AND NOT is_bot AND ${HAS_SESSION} AND type = 'pageview'
                  AND session_started >= ${FROM} AND session_started < ${TO}
                  AND event_time >= ${FROM} AND event_time < ${TO} + ${SESSION_TAIL}
                GROUP BY session_key
                HAVING ${compare('argMax(path, (event_time, session_pageviews))', filter.operator, param, filter.values.length)})`;
    }
    const expr = ROW_VALUE[filter.dimension];
    if (expr === undefined) throw new Error(`no column for filter dimension ${filter.dimension}`);
    return compare(expr, filter.operator, param, filter.values.length);
  });
  const rows = conditions.length === 0 ? '1' : conditions.map((c) => `(${c})`).join(' AND ');
  // an engagement report is no activity of its visit: it never selects a session
  const sessions = `SELECT session_key FROM ${db}.events_raw
                    WHERE site = {site:String} AND NOT is_bot AND ${HAS_SESSION} AND type != 'engagement' AND event_time >= ${FROM} AND event_time < ${TO} AND ${rows}`;
  const wholeSessions = filters.every((f) => SESSION_CONSTANT.has(f.dimension));
  const inSelectedSessions = filters.length === 0 ? '1' : wholeSessions ? rows : `session_key IN (${sessions})`;
  return { rows, sessions, inSelectedSessions, wholeSessions, visit: filters.some((f) => f.dimension in ENTRY_VALUE), params };
}
