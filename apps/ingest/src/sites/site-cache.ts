import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

/** Known site ids, read from ClickHouse and kept in memory; a miss refreshes at most once a second. */
@Injectable()
export class SiteCache {
  private readonly repository: SiteRepository;
  private ids = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;

  constructor(@Inject(CLICKHOUSE) clickhouse: ClickHouseClient, @Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.repository = new SiteRepository(clickhouse, config.clickhouse.database);
  }

  async has(site: string, now: number): Promise<boolean> {
    const age = now - this.loadedAt;
    if (age > this.config.ingest.siteCacheTtlMs || (!this.ids.has(site) && age > 1000)) await this.refresh(now);
    return this.ids.has(site);
  }

  private refresh(now: number): Promise<void> {
    this.loading ??= this.repository
      .list()
      .then((sites) => {
        this.ids = new Set(sites.map((s) => s.id));
        this.loadedAt = now;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
