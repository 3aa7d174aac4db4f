import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { toDateTime64, VISITOR_SKETCH, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import type { LiveSnapshot } from './live.events.js';

/** A stored running count of one window on one partition, with the newest offset it covers. */
export interface StoredPartial {
  windowStart: number;
  windowSizeMs: number;
  partition: number;
  pageviews: number;
  offset: bigint;
}

/** Reads the per-second rollups (kept per partition, with offsets) the live view starts from. */
@Injectable()
export class LiveWindowRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /**
   * Per-partition partials of `site` from `dayStart` on: per minute for the whole day, and per
   * second from `secondsFrom`. One query, so both come from the same state of the table.
   */
  async partials(site: string, dayStart: number, secondsFrom: number): Promise<StoredPartial[]> {
    const result = await this.clickhouse.query({
      query: `SELECT toUnixTimestamp(toStartOfMinute(window_start)) AS w, 60000 AS size, kafka_partition AS p, sum(pageviews) AS n, max(last_offset) AS o
              FROM ${this.db}.pageviews_1s
              WHERE site = {site:String} AND window_start >= toDateTime({dayStart:DateTime64(3, 'UTC')})
              GROUP BY w, p
              UNION ALL
              SELECT toUnixTimestamp(window_start) AS w, 1000 AS size, kafka_partition AS p, sum(pageviews) AS n, max(last_offset) AS o
              FROM ${this.db}.pageviews_1s
              WHERE site = {site:String} AND window_start >= toDateTime({secondsFrom:DateTime64(3, 'UTC')})
              GROUP BY w, p`,
      query_params: { site, dayStart: toDateTime64(dayStart), secondsFrom: toDateTime64(secondsFrom) },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ w: number | string; size: number | string; p: number | string; n: number | string; o: number | string }>();
    return rows.map((r) => ({ windowStart: Number(r.w) * 1000, windowSizeMs: Number(r.size), partition: Number(r.p), pageviews: Number(r.n), offset: BigInt(r.o) }));
  }

  /** Today's stored totals and top values per dimension since `dayStart`. */
  async today(site: string, dayStart: number, topN: number): Promise<Pick<LiveSnapshot, 'today' | 'top'>> {
    const params = { site, dayStart: toDateTime64(dayStart), topN };
    const [totals] = await (
      await this.clickhouse.query({
        query: `SELECT sum(pageviews) AS pageviews, ${VISITOR_SKETCH.merge}(visitors) AS visitors, sum(sessions) AS sessions, sum(custom_events) AS customEvents
                FROM ${this.db}.rollup_1m WHERE site = {site:String} AND minute >= toStartOfMinute(toDateTime({dayStart:DateTime64(3, 'UTC')}))`,
        query_params: params,
        format: 'JSONEachRow',
      })
    ).json<Record<'pageviews' | 'visitors' | 'sessions' | 'customEvents', number | string>>();
    const rows = await (
      await this.clickhouse.query({
        query: `SELECT dimension, value, count FROM (
                  SELECT dimension, value, sum(events) AS count FROM ${this.db}.breakdown_1m
                  WHERE site = {site:String} AND minute >= toStartOfMinute(toDateTime({dayStart:DateTime64(3, 'UTC')}))
                  GROUP BY dimension, value)
                ORDER BY dimension, count DESC, value LIMIT {topN:UInt32} BY dimension`,
        query_params: params,
        format: 'JSONEachRow',
      })
    ).json<{ dimension: string; value: string; count: number | string }>();
    const top: LiveSnapshot['top'] = {};
    for (const r of rows) (top[r.dimension] ??= []).push({ value: r.value, count: Number(r.count) });
    return {
      today: {
        pageviews: Number(totals?.pageviews ?? 0),
        visitors: Number(totals?.visitors ?? 0),
        sessions: Number(totals?.sessions ?? 0),
        customEvents: Number(totals?.customEvents ?? 0),
      },
      top,
    };
  }
}
