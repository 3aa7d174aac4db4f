import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import { FILTERED_READ_SETTINGS, filterSql, type Filter } from './filters.js';
import type { TimeRange } from './history-params.js';
import { FROM, TO } from './sql-fragments.js';

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
 * The engagement figures of given pages, read from the raw events: no rollup keeps them, and
 * only the engagement rows of the listed paths in the range are read. Bots left out; under
 * filters, the engagement events the filters select (an engagement event carries its visit's
 * entry page and source, so a filter on them selects it as it selects the visit's page views).
 */
@Injectable()
export class PageEngagementRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  async forPages(site: string, paths: readonly string[], range: TimeRange, filters: readonly Filter[] = []): Promise<Map<string, PageEngagement>> {
    const found = new Map<string, PageEngagement>();
    if (paths.length === 0) return found;
    const f = filterSql(filters, this.db);
    const result = await this.clickhouse.query({
      query: `SELECT path, count() AS events, sum(scroll_depth) AS depth, sum(engaged_ms) AS engaged, uniqExact(visitor_id) AS visitors
              FROM ${this.db}.events_raw
              WHERE site = {site:String} AND type = 'engagement' AND NOT is_bot AND event_time >= ${FROM} AND event_time < ${TO}
                AND path IN {paths:Array(String)} AND ${f.rows}
              GROUP BY path`,
      query_params: { site, from: range.from, to: range.to, paths, ...f.params },
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
