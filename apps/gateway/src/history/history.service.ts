import { Injectable } from '@nestjs/common';
import { ApiError } from '@clickstream/platform';
import { FilteredHistoryRepository } from './filtered-history.repository.js';
import type { Filter } from './filters.js';
import type { FunnelStep } from './funnel-steps.js';
import { isSessionDimension, type BreakdownDimension, type Interval, type TimeRange } from './history-params.js';
import { NO_ENGAGEMENT, PageEngagementRepository } from './page-engagement.repository.js';
import { RevenueRepository } from './revenue.repository.js';
import { HistoryRepository, type BreakdownRow, type PropertyKeyRow, type RollupTotals, type SessionTotals, type TimeseriesRow } from './history.repository.js';

export interface Totals {
  pageviews: number;
  visitors: number;
  sessions: number;
  customEvents: number;
  /** Bot page views and events in the range, left out of every other figure. */
  botEvents: number;
  /** Share of sessions with at most one page view, in [0, 1], 4 decimals; 0 without sessions. */
  bounceRate: number;
  /** Mean of (last event - first event) over the sessions, seconds, 1 decimal; 0 without sessions. */
  avgDurationSeconds: number;
}

/** One step of a funnel as the API answers it. */
export interface FunnelStepFigures {
  /** The step as asked: page:<path> or event:<name>. */
  step: string;
  /** Visitors who reached this step (and every one before it) in one session. */
  visitors: number;
  /** Visitors of the step before who did not reach this one (0 for the first). */
  dropOff: number;
  /** This step's visitors in % of the step before's (100 for the first step), 1 decimal; 0 when there were none. */
  conversionFromPrevious: number;
  /** This step's visitors in % of the first step's, 1 decimal; 0 when the first had none. */
  conversionFromFirst: number;
}

/**
 * How the totals moved against a period compared with: in % of the earlier figure for counts and
 * the mean duration (null when the earlier one is 0 and the new one is not: no finite change),
 * and in percentage points for the bounce rate, as a rate's change is read.
 */
export interface TotalsChange {
  pageviews: number | null;
  visitors: number | null;
  sessions: number | null;
  customEvents: number | null;
  avgDurationSeconds: number | null;
  bounceRatePoints: number;
}

/** (now - before) / before in %, 1 decimal; 0 when both are 0, null when only `before` is. */
export function percentChange(now: number, before: number): number | null {
  if (before === 0) return now === 0 ? 0 : null;
  return round(((now - before) / before) * 100, 1);
}

export function totalsChange(now: Totals, before: Totals): TotalsChange {
  return {
    pageviews: percentChange(now.pageviews, before.pageviews),
    visitors: percentChange(now.visitors, before.visitors),
    sessions: percentChange(now.sessions, before.sessions),
    customEvents: percentChange(now.customEvents, before.customEvents),
    avgDurationSeconds: percentChange(now.avgDurationSeconds, before.avgDurationSeconds),
    bounceRatePoints: round((now.bounceRate - before.bounceRate) * 100, 1),
  };
}

/**
 * What the history API answers, over the rollups: page views and visitors from the minute
 * rollups, session figures from the sessions that started in the range. Under filters, the
 * same figures of the selected events, from the raw events (see filters.ts).
 */
@Injectable()
export class HistoryService {
  constructor(
    private readonly history: HistoryRepository,
    private readonly filtered: FilteredHistoryRepository,
    private readonly engagement: PageEngagementRepository,
    private readonly revenue: RevenueRepository,
  ) {}

  pageviews(site: string, from: number, to: number, filters: readonly Filter[] = []): Promise<number> {
    return filters.length > 0 ? this.filtered.pageviews(site, from, to, filters) : this.history.pageviews(site, from, to);
  }

  async timeseries(site: string, range: TimeRange, interval: Interval, timezone: string, filters: readonly Filter[] = []): Promise<TimeseriesRow[]> {
    try {
      return filters.length > 0 ? await this.filtered.timeseries(site, range, interval, timezone, filters) : await this.history.timeseries(site, range, interval, timezone);
    } catch (err) {
      // Intl and the database ship their own zone data; a zone only Intl knows is the caller's to change
      if (/Cannot load time zone/i.test((err as Error).message)) throw ApiError.badRequest('invalid_parameter', `time zone ${timezone} is unknown to the database`, 'timezone');
      throw err;
    }
  }

  /**
   * The top values of a dimension. Pages also get their engagement figures (scroll depth, time on
   * page) and custom events their revenue per currency.
   */
  async breakdown(site: string, dimension: BreakdownDimension, range: TimeRange, limit: number, filters: readonly Filter[] = []): Promise<BreakdownRow[]> {
    if (dimension === 'page') {
      const read = (paths: readonly string[] | undefined) => this.engagement.forPages(site, paths, range, filters);
      return this.withFigures(this.counts(site, dimension, range, limit, filters), filters, read, (r, figures) => ({ ...r, ...(figures.get(r.value) ?? NO_ENGAGEMENT) }));
    }
    if (dimension === 'event') {
      const read = (names: readonly string[] | undefined) => this.revenue.byEventName(site, names, range, filters);
      return this.withFigures(this.counts(site, dimension, range, limit, filters), filters, read, (r, figures) => ({ ...r, revenue: figures.get(r.value) ?? [] }));
    }
    return this.counts(site, dimension, range, limit, filters);
  }

  /**
   * Breakdown rows with figures read per value. Unfiltered, those of every value (a few summary
   * rows a day) are read beside the counts rather than after them; a filtered read, from the raw
   * events, asks for the listed values only.
   */
  private async withFigures<T>(
    counting: Promise<BreakdownRow[]>,
    filters: readonly Filter[],
    read: (values: readonly string[] | undefined) => Promise<Map<string, T>>,
    add: (row: BreakdownRow, figures: Map<string, T>) => BreakdownRow,
  ): Promise<BreakdownRow[]> {
    if (filters.length > 0) {
      const rows = await counting;
      const figures = await read(rows.map((r) => r.value));
      return rows.map((r) => add(r, figures));
    }
    const [rows, figures] = await Promise.all([counting, read(undefined)]);
    return rows.map((r) => add(r, figures));
  }

  private counts(site: string, dimension: BreakdownDimension, range: TimeRange, limit: number, filters: readonly Filter[]): Promise<BreakdownRow[]> {
    if (filters.length > 0) {
      return isSessionDimension(dimension) ? this.filtered.sessionBreakdown(site, dimension, range, limit, filters) : this.filtered.breakdown(site, dimension, range, limit, filters);
    }
    return isSessionDimension(dimension) ? this.history.sessionBreakdown(site, dimension, range, limit) : this.history.breakdown(site, dimension, range, limit);
  }

  propertyKeys(site: string, event: string, range: TimeRange, limit: number, filters: readonly Filter[] = []): Promise<PropertyKeyRow[]> {
    return this.history.propertyKeys(site, event, range, limit, filters);
  }

  propertyValues(site: string, event: string, key: string, range: TimeRange, limit: number, filters: readonly Filter[] = []): Promise<BreakdownRow[]> {
    return this.history.propertyValues(site, event, key, range, limit, filters);
  }

  /** Each step of a funnel: its visitors, those lost since the step before, and the conversions in %. */
  async funnel(site: string, steps: readonly FunnelStep[], range: TimeRange, filters: readonly Filter[] = []): Promise<FunnelStepFigures[]> {
    const visitors = await this.history.funnel(site, steps, range, filters);
    const first = visitors[0] ?? 0;
    return steps.map((step, i) => {
      const before = i === 0 ? first : visitors[i - 1]!;
      const now = visitors[i]!;
      return {
        step: step.kind === 'page' ? `page:${step.path}` : `event:${step.name}`,
        visitors: now,
        dropOff: before - now,
        conversionFromPrevious: before === 0 ? 0 : round((now / before) * 100, 1),
        conversionFromFirst: first === 0 ? 0 : round((now / first) * 100, 1),
      };
    });
  }

  /** Page views, visitors, custom events and bot events, without the session figures. */
  rollupTotals(site: string, range: TimeRange, filters: readonly Filter[] = []): Promise<RollupTotals> {
    return filters.length > 0 ? this.filtered.rollupTotals(site, range, filters) : this.history.rollupTotals(site, range);
  }

  private async unfilteredTotals(site: string, range: TimeRange): Promise<{ rollup: RollupTotals; sessions: SessionTotals }> {
    const [rollup, sessions] = await Promise.all([this.history.rollupTotals(site, range), this.history.sessionTotals(site, range)]);
    return { rollup, sessions };
  }

  async totals(site: string, range: TimeRange, filters: readonly Filter[] = []): Promise<Totals> {
    const { rollup, sessions } = filters.length > 0 ? await this.filtered.totals(site, range, filters) : await this.unfilteredTotals(site, range);
    const n = sessions.sessions;
    return {
      ...rollup,
      sessions: n,
      bounceRate: n === 0 ? 0 : round(sessions.bounces / n, 4),
      avgDurationSeconds: n === 0 ? 0 : round(sessions.durationMs / n / 1000, 1),
    };
  }
}

const round = (x: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};
