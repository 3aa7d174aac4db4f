/**
 * The figures of one site in one window, as a partial that merges: two partials of the same
 * window (from two partitions, hence two aggregator instances) add up to the exact totals.
 * Live partials are sums only: visitors and breakdowns are read from ClickHouse, whose rollups
 * keep a visitor sketch and per-value counts, so the stream core keeps neither per window.
 */

/** What a window needs to know of one event. */
export interface StreamEvent {
  id: string;
  /** An engagement event (scroll depth and engaged time of a page left) is counted in no window figure. */
  type: 'pageview' | 'event' | 'engagement';
  site: string;
  path: string;
  referrerDomain: string | null;
  utm: { source: string | null; medium: string | null; campaign: string | null };
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
}

export class WindowMetrics {
  pageviews = 0;
  customEvents = 0;
  /** Bots are counted here only: never in page views, sessions or current visitors. */
  botEvents = 0;
  /** Sessions that started in this window. */
  sessions = 0;
  /** Events that arrived after their window had closed; they are also in the other figures. */
  lateEvents = 0;

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
  }

  mergeFrom(other: WindowMetrics): void {
    this.pageviews += other.pageviews;
    this.customEvents += other.customEvents;
    this.botEvents += other.botEvents;
    this.sessions += other.sessions;
    this.lateEvents += other.lateEvents;
  }

  static merged(partials: Iterable<WindowMetrics>): WindowMetrics {
    const total = new WindowMetrics();
    for (const p of partials) total.mergeFrom(p);
    return total;
  }

  toJSON(): MetricsJson {
    return { pageviews: this.pageviews, customEvents: this.customEvents, botEvents: this.botEvents, sessions: this.sessions, lateEvents: this.lateEvents };
  }

  static fromJSON(json: MetricsJson): WindowMetrics {
    return Object.assign(new WindowMetrics(), { pageviews: json.pageviews, customEvents: json.customEvents, botEvents: json.botEvents, sessions: json.sessions, lateEvents: json.lateEvents });
  }
}
