import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

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
              WHERE site = {site:String} AND window_start >= toDateTime({dayStart:DateTime64(3)})
              GROUP BY w, p
              UNION ALL
              SELECT toUnixTimestamp(window_start) AS w, 1000 AS size, kafka_partition AS p, sum(pageviews) AS n, max(last_offset) AS o
              FROM ${this.db}.pageviews_1s
              WHERE site = {site:String} AND window_start >= toDateTime({secondsFrom:DateTime64(3)})
              GROUP BY w, p`,
      query_params: { site, dayStart: toDateTime64(dayStart), secondsFrom: toDateTime64(secondsFrom) },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ w: number | string; size: number | string; p: number | string; n: number | string; o: number | string }>();
    return rows.map((r) => ({ windowStart: Number(r.w) * 1000, windowSizeMs: Number(r.size), partition: Number(r.p), pageviews: Number(r.n), offset: BigInt(r.o) }));
  }
}
