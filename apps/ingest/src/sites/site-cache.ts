import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { siteId } from '@clickstream/events';
import { ApiError, APP_CONFIG, KAFKA_PREPARED, LOGGER, parseSiteAlias, siteAliasKey, siteOfAliasRecord } from '@clickstream/platform';
import { IngestState } from '../state/ingest-state.js';

/**
 * Known site ids, read from the compacted sites topic. A site is known as soon as its record is
 * read; for a site not known yet, ingest first reads everything written to the topic before the
 * hit (a site created a moment ago is then known). ClickHouse plays no part: while it is down,
 * every site is accepted as before. Kafka unreachable, or the site list not seeded into it yet: a
 * known site stays known, an unknown one gets 503 (and the hit could not be made durable anyway).
 */
@Injectable()
export class SiteCache {
  private readonly topic: string;
  /** Registered at start-up by configuration: known without reading anything. */
  private readonly bootstrap: ReadonlySet<string>;
  private failing = false;

  constructor(
    private readonly state: IngestState,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA_PREPARED) private readonly kafkaPrepared: () => boolean,
  ) {
    this.topic = config.kafka.topics.sites;
    this.bootstrap = new Set(config.ingest.bootstrapSites);
  }

  async has(site: string): Promise<boolean> {
    if (this.bootstrap.has(site) || this.state.tables.get(this.topic, site) !== undefined) return true;
    await this.catchUp();
    return this.state.tables.get(this.topic, site) !== undefined || this.notYet();
  }

  /**
   * The site another product's tracker names (a Plausible domain, an Umami website id): the site
   * its alias maps to, else the site of that very id; undefined when neither is known.
   */
  async resolve(name: string): Promise<string | undefined> {
    const known = (): string | undefined => {
      const alias = parseSiteAlias(name);
      const aliased = alias ? siteOfAliasRecord(this.state.tables.get(this.topic, siteAliasKey(alias))) : undefined;
      if (aliased !== undefined) return aliased;
      return siteId.safeParse(name).success && (this.bootstrap.has(name) || this.state.tables.get(this.topic, name) !== undefined) ? name : undefined;
    };
    const site = known();
    if (site !== undefined) return site;
    await this.catchUp();
    const after = known();
    if (after === undefined) this.notYet();
    return after;
  }

  /** Reads everything written to the sites topic so far; 503 while it cannot be read. */
  private async catchUp(): Promise<void> {
    try {
      await this.state.tables.catchUp(this.topic);
    } catch (err) {
      if (!this.failing) this.logger.warn({ err: (err as Error).message, sites: this.state.siteCount() }, 'cannot read the site list from Kafka: the sites known so far stay known');
      this.failing = true;
      throw ApiError.unavailable('the site list cannot be read (Kafka unreachable)', 2);
    }
    if (this.failing) this.logger.info({ sites: this.state.siteCount() }, 'site list read from Kafka again');
    this.failing = false;
  }

  /** For a site still unknown once the topic is read: 503 if the site list may not be in it yet, else false. */
  private notYet(): false {
    // an ingest process that seeds the topic itself (run alone, Kafka down at its start) may not have yet
    if (!this.kafkaPrepared()) throw ApiError.unavailable('the site list is not in Kafka yet', 2);
    return false;
  }
}
