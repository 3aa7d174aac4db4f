import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

export interface StoredPartials {
  /** Pageviews from `dayStart` up to `horizon`, all partitions. */
  before: number;
  /** Per-second, per-partition partials at or after `horizon`. */
  partials: { windowStart: number; partition: number; pageviews: number; offset: bigint }[];
}

/** Reads the per-second rollups the live view starts from. */
@Injectable()
export class LiveWindowRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /** One query, so the total and the recent windows come from the same state of the table. */
  async partials(site: string, dayStart: number, horizon: number): Promise<StoredPartials> {
    const result = await this.clickhouse.query({
      query: `SELECT if(window_start >= toDateTime({horizon:DateTime64(3)}), toUnixTimestamp(window_start), 0) AS w,
                     kafka_partition AS p, sum(pageviews) AS n, max(last_offset) AS o
              FROM ${this.db}.pageviews_1s
              WHERE site = {site:String} AND window_start >= toDateTime({dayStart:DateTime64(3)})
              GROUP BY w, p`,
      query_params: { site, dayStart: toDateTime64(dayStart), horizon: toDateTime64(horizon) },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ w: number | string; p: number | string; n: number | string; o: number | string }>();
    let before = 0;
    const partials: StoredPartials['partials'] = [];
    for (const r of rows) {
      const w = Number(r.w);
      if (w === 0) before += Number(r.n);
      else partials.push({ windowStart: w * 1000, partition: Number(r.p), pageviews: Number(r.n), offset: BigInt(r.o) });
    }
    return { before, partials };
  }
}
