import { VisitorSketch, type VisitorSketchJson } from './visitor-sketch.js';

/**
 * The figures of one site in one window, as a partial that merges: two partials of the same
 * window (from two partitions, hence two aggregator instances) add up to the exact totals,
 * and their visitor sketches union into the unique count of both.
 */

/** Breakdown dimensions, each counting the page views (or, for `event`, the custom events) per value. */
export const DIMENSIONS = ['page', 'referrer', 'utmSource', 'utmMedium', 'utmCampaign', 'country', 'browser', 'os', 'device', 'event'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** What a window needs to know of one event. */
export interface StreamEvent {
  id: string;
  /** An engagement event (scroll depth and engaged time of a page left) is counted in no window figure. */
  type: 'pageview' | 'event' | 'engagement';
  name: string | null;
  site: string;
  path: string;
  referrerDomain: string | null;
  utm: { source: string | null; medium: string | null; campaign: string | null };
  country: string | null;
  browser: string | null;
  os: string | null;
  device: string;
  isBot: boolean;
  visitorId: string;
  eventTime: number;
}

export interface MetricsJson {
  pageviews: number;
  customEvents: number;
  botEvents: number;
  sessions: number;
  lateEvents: number;
  visitors: VisitorSketchJson;
  breakdowns: Partial<Record<Dimension, Record<string, number>>>;
}

/** A breakdown keeps its most frequent values; what falls off is summed under this value, so totals stay exact. */
export const OTHER = '(other)';

export function dimensionValues(e: StreamEvent): Record<Dimension, string | null> {
  const pageview = e.type === 'pageview';
  return {
    page: pageview ? e.path : null,
    referrer: pageview ? e.referrerDomain : null,
    utmSource: pageview ? e.utm.source : null,
    utmMedium: pageview ? e.utm.medium : null,
    utmCampaign: pageview ? e.utm.campaign : null,
    country: pageview ? e.country : null,
    browser: pageview ? e.browser : null,
    os: pageview ? e.os : null,
    device: pageview ? e.device : null,
    event: pageview ? null : e.name,
  };
}

export class WindowMetrics {
  pageviews = 0;
  customEvents = 0;
  /** Bots are counted here only: never in page views, visitors, sessions or breakdowns. */
  botEvents = 0;
  /** Sessions that started in this window. */
  sessions = 0;
  /** Events that arrived after their window had closed; they are also in the other figures. */
  lateEvents = 0;
  private visitorSketch = VisitorSketch.empty();
  private readonly counts = new Map<Dimension, Map<string, number>>();

  add(event: StreamEvent, facts: { sessionStart: boolean; late: boolean }): void {
    if (event.type === 'engagement') return;
    if (facts.late) this.lateEvents += 1;
    if (event.isBot) {
      this.botEvents += 1;
      return;
    }
    if (event.type === 'pageview') this.pageviews += 1;
    else this.customEvents += 1;
    if (facts.sessionStart) this.sessions += 1;
    this.visitorSketch.add(event.visitorId);
    const values = dimensionValues(event);
    for (const d of DIMENSIONS) {
      const value = values[d];
      if (value !== null && value !== '') this.bump(d, value, 1);
    }
  }

  mergeFrom(other: WindowMetrics): void {
    this.pageviews += other.pageviews;
    this.customEvents += other.customEvents;
    this.botEvents += other.botEvents;
    this.sessions += other.sessions;
    this.lateEvents += other.lateEvents;
    this.visitorSketch.mergeFrom(other.visitorSketch);
    for (const [d, values] of other.counts) for (const [value, n] of values) this.bump(d, value, n);
  }

  static merged(partials: Iterable<WindowMetrics>): WindowMetrics {
    const total = new WindowMetrics();
    for (const p of partials) total.mergeFrom(p);
    return total;
  }

  get visitors(): number {
    return this.visitorSketch.count();
  }

  /** The values of a breakdown, most frequent first (ties by value, so the order is stable). */
  top(dimension: Dimension, limit = Infinity): { value: string; count: number }[] {
    const values = this.counts.get(dimension);
    if (!values) return [];
    return [...values.entries()]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, limit);
  }

  /**
   * Serialized partial. Each breakdown keeps its `topN` most frequent values and sums the rest
   * under OTHER: sums stay exact, while a value ranked below `topN` in every partial can be
   * missing from a merged top list.
   */
  toJSON(topN = 100): MetricsJson {
    const breakdowns: Partial<Record<Dimension, Record<string, number>>> = {};
    for (const d of DIMENSIONS) {
      const sorted = this.top(d);
      if (sorted.length === 0) continue;
      const kept: Record<string, number> = {};
      let rest = 0;
      sorted.forEach(({ value, count }, i) => {
        if (i < topN || value === OTHER) kept[value] = (kept[value] ?? 0) + count;
        else rest += count;
      });
      if (rest > 0) kept[OTHER] = (kept[OTHER] ?? 0) + rest;
      breakdowns[d] = kept;
    }
    return {
      pageviews: this.pageviews,
      customEvents: this.customEvents,
      botEvents: this.botEvents,
      sessions: this.sessions,
      lateEvents: this.lateEvents,
      visitors: this.visitorSketch.toJSON(),
      breakdowns,
    };
  }

  static fromJSON(json: MetricsJson): WindowMetrics {
    const m = new WindowMetrics();
    m.pageviews = json.pageviews;
    m.customEvents = json.customEvents;
    m.botEvents = json.botEvents;
    m.sessions = json.sessions;
    m.lateEvents = json.lateEvents;
    m.visitorSketch = VisitorSketch.fromJSON(json.visitors);
    for (const d of DIMENSIONS) {
      const values = json.breakdowns[d];
      if (values) for (const [value, n] of Object.entries(values)) m.bump(d, value, n);
    }
    return m;
  }

  private bump(d: Dimension, value: string, n: number): void {
    let values = this.counts.get(d);
    if (!values) {
      values = new Map();
      this.counts.set(d, values);
    }
    values.set(value, (values.get(value) ?? 0) + n);
  }
}
