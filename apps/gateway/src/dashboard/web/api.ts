import type { BreakdownResponse, FunnelResponse, PropertiesResponse, TimeseriesResponse, TotalsResponse } from '../../history/history.controller.js';
import type { ConversionsResponse } from '../../goals/goals.controller.js';
import type { OpsReport } from '../../ops/ops.controller.js';
import { writeFilter } from '../../history/filter-syntax.js';
import { FILTER_PARAM, type Filter } from './filters.js';
import type { Interval } from './model.js';

export type { BreakdownResponse, ConversionsResponse, FunnelResponse, OpsReport, PropertiesResponse, TimeseriesResponse, TotalsResponse };

/** What the range can be compared with (the history API's `compare`). */
export const COMPARISONS = ['previous', 'year'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export const BREAKDOWN_DIMENSIONS = ['page', 'referrer', 'utmSource', 'utmMedium', 'utmCampaign', 'country', 'browser', 'os', 'device', 'event', 'entryPage', 'exitPage'] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

/**
 * An answer, or why there is none: `status` 0 is a network failure (offline), anything else the
 * HTTP status with the API's `{ error, detail }`. The page shows "–" rather than failing.
 */
export type Fetched<T> = { ok: true; data: T } | { ok: false; status: number; detail: string };

/**
 * The gateway's REST API for one site, with that site's dashboard token on every call, and the
 * active filters on every history call (CSV links included), so nothing the history half shows
 * is counted under other filters than the chips say.
 */
export class DashboardApi {
  constructor(
    private readonly site: string,
    private readonly token: string,
    /** The filters in force now, read at each call. */
    private readonly filters: () => readonly Filter[] = () => [],
  ) {}

  timeseries(from: number, to: number, interval: Interval, timezone: string, compare?: Comparison): Promise<Fetched<TimeseriesResponse>> {
    return this.history('timeseries', { from: String(from), to: String(to), interval, timezone, ...(compare ? { compare } : {}) });
  }

  breakdown(dimension: BreakdownDimension, from: number, to: number, limit = 10): Promise<Fetched<BreakdownResponse>> {
    return this.history('breakdown', { dimension, from: String(from), to: String(to), limit: String(limit) });
  }

  totals(from: number, to: number, compare?: Comparison): Promise<Fetched<TotalsResponse>> {
    return this.history('totals', { from: String(from), to: String(to), ...(compare ? { compare } : {}) });
  }

  conversions(from: number, to: number): Promise<Fetched<ConversionsResponse>> {
    return this.history('conversions', { from: String(from), to: String(to) });
  }

  properties(event: string, key: string | undefined, from: number, to: number): Promise<Fetched<PropertiesResponse>> {
    return this.history('properties', { event, ...(key ? { key } : {}), from: String(from), to: String(to), limit: '50' });
  }

  funnel(steps: readonly string[], from: number, to: number): Promise<Fetched<FunnelResponse>> {
    const query = new URLSearchParams({ from: String(from), to: String(to) });
    for (const step of steps) query.append('step', step);
    return this.request(`${this.route('funnel')}?${this.filtered(query)}`);
  }

  /** A CSV download of a history route, the token in the link (as the share link carries it). */
  csvUrl(route: 'timeseries' | 'breakdown', query: Record<string, string>): string {
    return `${this.route(`${route}.csv`)}?${this.filtered(new URLSearchParams({ ...query, token: this.token }))}`;
  }

  ops(): Promise<Fetched<OpsReport>> {
    return this.request(`/api/ops?${new URLSearchParams({ site: this.site })}`);
  }

  private history<T>(route: string, query: Record<string, string>): Promise<Fetched<T>> {
    return this.request(`${this.route(route)}?${this.filtered(new URLSearchParams(query))}`);
  }

  private route(name: string): string {
    return `/api/sites/${encodeURIComponent(this.site)}/${name}`;
  }

  private filtered(query: URLSearchParams): URLSearchParams {
    for (const filter of this.filters()) query.append(FILTER_PARAM, writeFilter(filter));
    return query;
  }

  private async request<T>(url: string): Promise<Fetched<T>> {
    let res: Response;
    try {
      res = await fetch(url, { headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' }, cache: 'no-store' });
    } catch (err) {
      return { ok: false, status: 0, detail: (err as Error).message };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    if (res.ok && body !== undefined) return { ok: true, data: body as T };
    const detail = typeof body === 'object' && body !== null && 'detail' in body ? String((body as { detail: unknown }).detail) : res.statusText;
    return { ok: false, status: res.status, detail };
  }
}
