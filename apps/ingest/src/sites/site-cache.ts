import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import type { Logger } from '@clickstream/logger';
import { ApiError, APP_CONFIG, CLICKHOUSE, LOGGER } from '@clickstream/platform';

/**
 * Known site ids, read from ClickHouse and kept in memory; a miss refreshes at most once a second.
 * While ClickHouse cannot be read, a site known at the last read stays known, so hits keep being
 * accepted (Kafka, not ClickHouse, makes them durable); a site not known then gets 503.
 */
@Injectable()
export class SiteCache {
  private readonly repository: SiteRepository;
  private ids = new Set<string>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private failingSince: number | undefined;

  constructor(
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.repository = new SiteRepository(clickhouse, config.clickhouse.database);
  }

  async has(site: string, now: number): Promise<boolean> {
    const known = this.ids.has(site);
    const age = now - this.loadedAt;
    if (age > this.config.ingest.siteCacheTtlMs || (!known && age > 1000)) {
      try {
        await this.refresh(now);
      } catch (err) {
        if (this.failingSince === undefined) {
          this.failingSince = now;
          this.logger.warn({ err: (err as Error).message, sites: this.ids.size }, 'cannot read the site list from ClickHouse: the sites known so far stay known');
        }
        if (!known) throw ApiError.unavailable('the site list cannot be read (ClickHouse unreachable)', 2);
      }
    }
    return this.ids.has(site);
  }

  private refresh(now: number): Promise<void> {
    this.loading ??= this.repository
      .list()
      .then((sites) => {
        this.ids = new Set(sites.map((s) => s.id));
        this.loadedAt = now;
        if (this.failingSince !== undefined) this.logger.info({ sites: sites.length, downMs: now - this.failingSince }, 'site list read from ClickHouse again');
        this.failingSince = undefined;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
