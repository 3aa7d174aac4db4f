import { Inject, Injectable } from '@nestjs/common';
import { SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, ApiError, CLICKHOUSE, LOGGER, parseSiteAlias, SITE_ALIAS_RULE, siteAliasKey, siteAliasRecord, type SiteAlias, type SiteAliasKind } from '@clickstream/platform';
import { SiteAliasTable } from './site-alias-table.js';
import { SitesTopic } from './sites-topic.js';

export interface SiteAliasView {
  alias: string;
  kind: SiteAliasKind;
}

export interface AddedAlias extends SiteAliasView {
  site: string;
  /** False when the site held the alias already: nothing was written. */
  created: boolean;
}

/** How long listing the sites waits for the topic before it answers with the aliases read so far. */
const LIST_WAIT_MS = 2000;

const view = (alias: SiteAlias): SiteAliasView => ({ alias: alias.value, kind: alias.kind });

/**
 * A site's aliases: the names Plausible's and Umami's trackers give it. Each decision reads the
 * sites topic up to date first; changes are made one at a time in this process, so two admins
 * cannot both be told they got the same alias. (Two gateways writing the same alias at the same
 * moment could still both succeed, the later record winning: aliases are rare admin changes.)
 */
@Injectable()
export class SiteAliasesService {
  private readonly sites: SiteRepository;
  /** The change in progress: the next one starts when it settles. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly topic: SitesTopic,
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.sites = new SiteRepository(clickhouse, config.clickhouse.database);
  }

  /** Gives `site` the alias; idempotent for an alias the site has already. */
  add(site: string, text: string): Promise<AddedAlias> {
    const alias = this.parse(text);
    return this.oneAtATime(async () => {
      await this.existing(site);
      const table = await this.upToDate();
      const claim = table.claim(alias, site);
      if (claim.outcome === 'held') return { site, ...view(alias), created: false };
      if (claim.outcome === 'taken') throw ApiError.conflict(`${alias.value} is an alias of site ${claim.by} already`, 'alias');
      // ingest takes a tracker's name for an alias before a site id: an alias must not hide another site
      const named = (await this.sites.list()).find((s) => s.id !== site && s.id.toLowerCase() === alias.value);
      if (named) throw ApiError.conflict(`${alias.value} is the id of site ${named.id}`, 'alias');
      await this.write(siteAliasKey(alias), siteAliasRecord(site));
      this.logger.info({ site, alias: alias.value, kind: alias.kind }, 'site alias added');
      return { site, ...view(alias), created: true };
    });
  }

  /** Takes the alias from `site`; 404 when the site does not hold it. */
  remove(site: string, text: string): Promise<void> {
    const alias = this.parse(text);
    return this.oneAtATime(async () => {
      await this.existing(site);
      const table = await this.upToDate();
      if (table.holder(alias) !== site) throw ApiError.notFound(`site ${site} has no alias ${alias.value}`, 'alias');
      await this.write(siteAliasKey(alias), null);
      this.logger.info({ site, alias: alias.value }, 'site alias removed');
    });
  }

  async list(site: string): Promise<SiteAliasView[]> {
    await this.existing(site);
    return (await this.upToDate()).of(site).map(view);
  }

  /**
   * Every site's aliases, for the site list: read up to date when Kafka answers in time, else as
   * read so far (the list itself comes from ClickHouse and should not fail with Kafka).
   */
  async all(): Promise<SiteAliasTable> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), LIST_WAIT_MS)));
    const read = this.topic.catchUp().then(
      () => 'read' as const,
      (err: Error) => err,
    );
    const outcome = await Promise.race([read, late]).finally(() => clearTimeout(timer));
    if (outcome !== 'read') this.logger.warn({ err: outcome === 'late' ? 'not read in time' : outcome.message, topic: this.topic.topic }, 'site aliases listed as read so far: the sites topic cannot be read up to date');
    return new SiteAliasTable(this.topic.records());
  }

  /** The site holding the alias spelled as `id`, if any: a new site of that id would be hidden by it. */
  async holderOf(id: string): Promise<string | undefined> {
    const alias = parseSiteAlias(id);
    return alias && (await this.upToDate()).holder(alias);
  }

  private parse(text: string): SiteAlias {
    const alias = parseSiteAlias(text);
    if (!alias) throw ApiError.badRequest('invalid_parameter', SITE_ALIAS_RULE, 'alias');
    return alias;
  }

  private async existing(site: string): Promise<void> {
    if (!(await this.sites.get(site))) throw ApiError.notFound(`no site ${site}`, 'site');
  }

  private async upToDate(): Promise<SiteAliasTable> {
    await this.topic.catchUp().catch((err: Error) => {
      throw ApiError.unavailable(`the site aliases cannot be read from Kafka: ${err.message}`, 2);
    });
    return new SiteAliasTable(this.topic.records());
  }

  private async write(key: string, value: string | null): Promise<void> {
    await this.topic.put(key, value).catch((err: Error) => {
      throw ApiError.unavailable(`the alias cannot be written to Kafka: ${err.message}`, 2);
    });
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
