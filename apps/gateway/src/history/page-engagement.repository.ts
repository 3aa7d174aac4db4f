import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { VISITOR_SKETCH, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import { FILTERED_READ_SETTINGS, filterSql, type Filter } from './filters.js';
import type { TimeRange } from './history-params.js';
import { daysThenRaw } from './sql-fragments.js';
import { DAY_MS, wholeUnits } from './whole-units.js';

/** How a page was read, from the engagement events sent when it was left. */
export interface PageEngagement {
  /** Mean scroll depth of the page's engagement events, whole percent; null when it has none. */
  scrollDepth: number | null;
  /**
   * Engaged time per visitor: the engaged milliseconds of the page's engagement events over the
   * distinct visitors who sent them (Plausible's time on page), whole ms; null when it has none.
   */
  timeOnPage: number | null;
}

export const NO_ENGAGEMENT: PageEngagement = { scrollDepth: null, timeOnPage: null };

/** Sums of one page's engagement events, as read. */
export interface EngagementSums {
  events: number;
  scrollDepthSum: number;
  engagedMsSum: number;
  visitors: number;
}

/** The figures of a page from its sums (pure, so the rounding is tested without a server). */
export function pageEngagement(s: EngagementSums | undefined): PageEngagement {
  if (!s || s.events === 0) return NO_ENGAGEMENT;
  return { scrollDepth: Math.round(s.scrollDepthSum / s.events), timeOnPage: s.visitors === 0 ? null : Math.round(s.engagedMsSum / s.visitors) };
}

/**
 * The engagement figures of given pages. Unfiltered: the daily summaries (engagement_1d,
 * migration 13) for the range's whole UTC days and the raw events for the rest. Under filters: the
 * raw events the filters select (an engagement event carries its visit's entry page and source, so
 * a filter on them selects it as it selects the visit's page views). Bots left out; visitors by
 * the same sketch as every visitor figure.
 */
@Injectable()
export class PageEngagementRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /** `paths` undefined: every page of the range that has engagement events. */
  async forPages(site: string, paths: readonly string[] | undefined, range: TimeRange, filters: readonly Filter[] = []): Promise<Map<string, PageEngagement>> {
    const found = new Map<string, PageEngagement>();
    if (paths?.length === 0) return found;
    const listed = paths ? 'path IN {paths:Array(String)}' : '1';
    const raw = (where: string): string => `SELECT path, count() AS events, sum(toUInt64(ifNull(scroll_depth, 0))) AS depth, sum(toUInt64(ifNull(engaged_ms, 0))) AS engaged,
                     ${VISITOR_SKETCH.state}(visitor_id) AS visitors
              FROM ${this.db}.events_raw
              WHERE site = {site:String} AND type = 'engagement' AND NOT is_bot AND ${listed} AND ${where}
              GROUP BY path`;
    const f = filterSql(filters, this.db);
    const whole = wholeUnits(range, DAY_MS);
    const daily = `SELECT path, events, scroll_depth AS depth, engaged_ms AS engaged, visitors FROM ${this.db}.engagement_1d WHERE site = {site:String} AND ${listed}`;
    const parts = daysThenRaw(daily, raw, filters.length > 0 ? f.rows : undefined);
    const result = await this.clickhouse.query({
      query: `SELECT path, sum(events) AS events, sum(depth) AS depth, sum(engaged) AS engaged, ${VISITOR_SKETCH.merge}(visitors) AS visitors
              FROM (${parts})
              GROUP BY path`,
      query_params: { site, from: range.from, to: range.to, wholeFrom: whole.from, wholeTo: whole.to, ...(paths ? { paths } : {}), ...f.params },
      clickhouse_settings: FILTERED_READ_SETTINGS,
      format: 'JSONEachRow',
    });
    type Row = { path: string; events: string | number; depth: string | number; engaged: string | number; visitors: string | number };
    for (const r of await result.json<Row>()) {
      found.set(r.path, pageEngagement({ events: Number(r.events), scrollDepthSum: Number(r.depth), engagedMsSum: Number(r.engaged), visitors: Number(r.visitors) }));
    }
    return found;
  }
}
