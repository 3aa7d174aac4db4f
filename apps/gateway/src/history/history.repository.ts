import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

/** Parameterized reads of the pageview rollups for the history API. */
@Injectable()
export class HistoryRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /** Pageviews of `site` whose 1-second window starts in [from, to). */
  async pageviews(site: string, from: number, to: number): Promise<number> {
    const result = await this.clickhouse.query({
      query: `SELECT sum(pageviews) AS n FROM ${this.db}.pageviews_1s
              WHERE site = {site:String}
                AND window_start >= toDateTime({from:DateTime64(3)}) AND window_start < toDateTime({to:DateTime64(3)})`,
      query_params: { site, from: toDateTime64(from), to: toDateTime64(to) },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: number | string }>();
    return Number(row?.n ?? 0);
  }
}
