import { Controller, Get, Header, Param, Query, UseGuards } from '@nestjs/common';
import { ApiError } from '@clickstream/platform';
import { SiteAccessGuard } from '../auth/site-access.guard.js';
import { resolveGoalFilters } from '../goals/goal-filters.js';
import { GoalsRepository } from '../goals/goals.repository.js';
import { toCsv, type CsvValue } from './csv.js';
import { writeFilter } from './filter-syntax.js';
import { parseFilters, type Filter } from './filters.js';
import { parseFunnelSteps } from './funnel-steps.js';
import { checkTimeseries, comparisonRange, parseCompare, parseDimension, parseEventName, parsePropertyKey, parseInstant, parseInterval, parseLimit, parseRange, parseSite, parseTimezone, type BreakdownDimension, type Comparison, type Interval, type TimeRange } from './history-params.js';
import type { BreakdownRow, PropertyKeyRow, TimeseriesRow } from './history.repository.js';
import { HistoryService, totalsChange, type FunnelStepFigures, type Totals, type TotalsChange } from './history.service.js';

/** `filters`: the filters applied, as `filter` parameters in the documented syntax; absent without filters. */
export interface PageviewsResponse {
  site: string;
  from: string;
  to: string;
  filters?: string[];
  pageviews: number;
}

/** `from` and `to` of the answers below are the range counted: the one asked for, widened to whole minutes. */
export interface TimeseriesResponse {
  site: string;
  from: string;
  to: string;
  filters?: string[];
  interval: Interval;
  timezone: string;
  points: TimeseriesRow[];
  /** With `compare`: the same interval and zone over the period compared with (its points align with `points` by index). */
  comparison?: { compare: Comparison; from: string; to: string; points: TimeseriesRow[] };
}

export interface BreakdownResponse {
  site: string;
  dimension: BreakdownDimension;
  from: string;
  to: string;
  filters?: string[];
  rows: BreakdownRow[];
}

/** The properties of one custom event: its property names, or with `key` the values of one. */
export interface PropertiesResponse {
  site: string;
  event: string;
  from: string;
  to: string;
  filters?: string[];
  /** Without `key`: each property name the events carried, with the events and visitors that had it. */
  keys?: PropertyKeyRow[];
  /** With `key`: that property's values. */
  key?: string;
  rows?: BreakdownRow[];
}

export interface FunnelResponse {
  site: string;
  from: string;
  to: string;
  filters?: string[];
  steps: FunnelStepFigures[];
}

export interface TotalsResponse extends Totals {
  site: string;
  from: string;
  to: string;
  filters?: string[];
  /** With `compare`: the totals of the period compared with, and how this range's moved against them. */
  comparison?: { compare: Comparison; from: string; to: string; totals: Totals; change: TotalsChange };
}

type HistoryQuery = Record<string, unknown>;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The filters applied, as the `filter` parameters that give them; absent without filters. */
const filtersOf = (filters: readonly Filter[]): { filters?: string[] } => (filters.length > 0 ? { filters: filters.map(writeFilter) } : {});

const CSV_TYPE = 'text/csv; charset=utf-8';

const BREAKDOWN_COLUMNS = [
  { header: 'value', value: (r: BreakdownRow) => r.value },
  { header: 'count', value: (r: BreakdownRow) => r.count },
  { header: 'visitors', value: (r: BreakdownRow) => r.visitors },
];

/** The breakdown's columns, with the figures only pages (engagement) and custom events (revenue) have. */
const breakdownColumns = (dimension: BreakdownDimension): { header: string; value: (r: BreakdownRow) => CsvValue }[] => {
  if (dimension === 'page') {
    return [...BREAKDOWN_COLUMNS, { header: 'scrollDepth', value: (r) => r.scrollDepth ?? null }, { header: 'timeOnPage', value: (r) => r.timeOnPage ?? null }];
  }
  // one cell per row: "12.5 EUR; 3 USD", each currency's exact sum apart
  if (dimension === 'event') return [...BREAKDOWN_COLUMNS, { header: 'revenue', value: (r) => (r.revenue ?? []).map((x) => `${x.amount} ${x.currency}`).join('; ') }];
  return BREAKDOWN_COLUMNS;
};

/** The totals' fields alone, in the documented order. */
const totalsOf = (t: Totals): Totals => ({
  pageviews: t.pageviews,
  visitors: t.visitors,
  sessions: t.sessions,
  customEvents: t.customEvents,
  botEvents: t.botEvents,
  bounceRate: t.bounceRate,
  avgDurationSeconds: t.avgDurationSeconds,
});

/**
 * The history API of one site, read from ClickHouse, for that site's dashboard token or the
 * admin token: every route is /api/sites/:site/..., so the guard on the class covers them all.
 * `from`/`to` are ISO 8601 or epoch ms; the range is [from, to), by default today (UTC) so far.
 */
@Controller('api/sites')
@UseGuards(SiteAccessGuard)
export class HistoryController {
  constructor(
    private readonly history: HistoryService,
    private readonly goals: GoalsRepository,
  ) {}

  /** The `filter` parameters, a goal filter's goals looked up. */
  private readFilters(site: string, query: HistoryQuery): Promise<Filter[]> {
    return resolveGoalFilters(parseFilters(query['filter']), () => this.goals.list(site));
  }

  /** Pageviews of a site in [from, to); both optional, ISO 8601 or epoch milliseconds. */
  @Get(':site/pageviews')
  async pageviews(@Param('site') site: string, @Query() query: HistoryQuery): Promise<PageviewsResponse> {
    const parsedSite = parseSite(site);
    const fromMs = parseInstant(query['from'], 'from', 0);
    const toMs = parseInstant(query['to'], 'to', Date.now() + 1000);
    if (fromMs >= toMs) throw ApiError.badRequest('invalid_parameter', 'must be after "from"', 'to');
    const filters = await this.readFilters(parsedSite, query);
    const pageviews = await this.history.pageviews(parsedSite, fromMs, toMs, filters);
    return { site: parsedSite, from: iso(fromMs), to: iso(toMs), ...filtersOf(filters), pageviews };
  }

  /** Page views, visitors, sessions and custom events per minute, hour or day of a time zone, empty buckets included. */
  @Get(':site/timeseries')
  async timeseries(@Param('site') site: string, @Query() query: HistoryQuery): Promise<TimeseriesResponse> {
    const parsedSite = parseSite(site);
    const range = parseRange(query['from'], query['to'], Date.now());
    const interval = parseInterval(query['interval']);
    const timezone = parseTimezone(query['timezone']);
    checkTimeseries(range, interval);
    const compare = parseCompare(query['compare']);
    const other = compare ? comparisonRange(range, compare) : undefined;
    if (other) checkTimeseries(other, interval);
    const filters = await this.readFilters(parsedSite, query);
    const [points, otherPoints] = await Promise.all([
      this.history.timeseries(parsedSite, range, interval, timezone, filters),
      other ? this.history.timeseries(parsedSite, other, interval, timezone, filters) : undefined,
    ]);
    return {
      site: parsedSite,
      from: iso(range.from),
      to: iso(range.to),
      ...filtersOf(filters),
      interval,
      timezone,
      points,
      ...(compare && other && otherPoints ? { comparison: { compare, from: iso(other.from), to: iso(other.to), points: otherPoints } } : {}),
    };
  }

  /** The top values of a dimension: page views per page, referrer, UTM, country, browser, OS, device; custom events per name; sessions per entry or exit page. */
  @Get(':site/breakdown')
  async breakdown(@Param('site') site: string, @Query() query: HistoryQuery): Promise<BreakdownResponse> {
    const parsedSite = parseSite(site);
    const dimension = parseDimension(query['dimension']);
    const range = parseRange(query['from'], query['to'], Date.now());
    const limit = parseLimit(query['limit']);
    const filters = await this.readFilters(parsedSite, query);
    const rows = await this.history.breakdown(parsedSite, dimension, range, limit, filters);
    return { site: parsedSite, dimension, from: iso(range.from), to: iso(range.to), ...filtersOf(filters), rows };
  }

  /** A custom event's properties: `event` names it; without `key` its property names, with `key` that property's values; events and visitors each. */
  @Get(':site/properties')
  async properties(@Param('site') site: string, @Query() query: HistoryQuery): Promise<PropertiesResponse> {
    const parsedSite = parseSite(site);
    const event = parseEventName(query['event']);
    const key = parsePropertyKey(query['key']);
    const range = parseRange(query['from'], query['to'], Date.now());
    const limit = parseLimit(query['limit']);
    const filters = await this.readFilters(parsedSite, query);
    const base = { site: parsedSite, event, from: iso(range.from), to: iso(range.to), ...filtersOf(filters) };
    if (key === undefined) return { ...base, keys: await this.history.propertyKeys(parsedSite, event, range, limit, filters) };
    return { ...base, key, rows: await this.history.propertyValues(parsedSite, event, key, range, limit, filters) };
  }

  /** A funnel of 2 to 8 ordered steps (`step=page:/path` or `step=event:name`, repeated in order): visitors at each step within one session. */
  @Get(':site/funnel')
  async funnel(@Param('site') site: string, @Query() query: HistoryQuery): Promise<FunnelResponse> {
    const parsedSite = parseSite(site);
    const steps = parseFunnelSteps(query['step']);
    const range = parseRange(query['from'], query['to'], Date.now());
    const filters = await this.readFilters(parsedSite, query);
    return { site: parsedSite, from: iso(range.from), to: iso(range.to), ...filtersOf(filters), steps: await this.history.funnel(parsedSite, steps, range, filters) };
  }

  /**
   * The same answers as CSV files (`.csv` after the route's name, the same parameters): the rows
   * of a breakdown or of a property, the points of a timeseries (`t` as ISO 8601), one line each.
   */
  @Get(':site/timeseries.csv')
  @Header('Content-Type', CSV_TYPE)
  @Header('Content-Disposition', 'attachment; filename="timeseries.csv"')
  async timeseriesCsv(@Param('site') site: string, @Query() query: HistoryQuery): Promise<string> {
    if (query['compare'] !== undefined) throw ApiError.badRequest('invalid_parameter', 'a CSV holds one period: ask for each period on its own', 'compare');
    const { points } = await this.timeseries(site, query);
    return toCsv(
      [
        { header: 't', value: (p: TimeseriesRow) => iso(p.t) },
        { header: 'pageviews', value: (p) => p.pageviews },
        { header: 'visitors', value: (p) => p.visitors },
        { header: 'sessions', value: (p) => p.sessions },
        { header: 'customEvents', value: (p) => p.customEvents },
      ],
      points,
    );
  }

  @Get(':site/breakdown.csv')
  @Header('Content-Type', CSV_TYPE)
  @Header('Content-Disposition', 'attachment; filename="breakdown.csv"')
  async breakdownCsv(@Param('site') site: string, @Query() query: HistoryQuery): Promise<string> {
    const answer = await this.breakdown(site, query);
    return toCsv(breakdownColumns(answer.dimension), answer.rows);
  }

  @Get(':site/properties.csv')
  @Header('Content-Type', CSV_TYPE)
  @Header('Content-Disposition', 'attachment; filename="properties.csv"')
  async propertiesCsv(@Param('site') site: string, @Query() query: HistoryQuery): Promise<string> {
    const answer = await this.properties(site, query);
    if (answer.keys) {
      return toCsv(
        [
          { header: 'key', value: (k: PropertyKeyRow) => k.key },
          { header: 'count', value: (k) => k.count },
          { header: 'visitors', value: (k) => k.visitors },
        ],
        answer.keys,
      );
    }
    return toCsv(BREAKDOWN_COLUMNS, answer.rows ?? []);
  }

  /** Page views, visitors, custom events, and sessions started in the range with their bounce rate and mean duration. */
  @Get(':site/totals')
  async totals(@Param('site') site: string, @Query() query: HistoryQuery): Promise<TotalsResponse> {
    const parsedSite = parseSite(site);
    const range = parseRange(query['from'], query['to'], Date.now());
    const compare = parseCompare(query['compare']);
    const other: TimeRange | undefined = compare ? comparisonRange(range, compare) : undefined;
    const filters = await this.readFilters(parsedSite, query);
    const [t, before] = await Promise.all([this.history.totals(parsedSite, range, filters), other ? this.history.totals(parsedSite, other, filters) : undefined]);
    return {
      site: parsedSite,
      from: iso(range.from),
      to: iso(range.to),
      ...filtersOf(filters),
      ...totalsOf(t),
      ...(compare && other && before ? { comparison: { compare, from: iso(other.from), to: iso(other.to), totals: totalsOf(before), change: totalsChange(t, before) } } : {}),
    };
  }
}
