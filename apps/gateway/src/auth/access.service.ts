import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SecretRepository, SiteRepository, type ClickHouseClient, type Site } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import { dashboardToken, derivedAdminToken, sameToken } from './access-tokens.js';

/** How long the gateway trusts its copy of a site's token version (a rotation takes effect within it). */
const SITE_CACHE_MS = 5000;

export type Access = { kind: 'admin' } | { kind: 'site'; site: string };

/** Who may read which site: a site's dashboard token reads that site only; the admin token reads all and manages sites. */
@Injectable()
export class AccessService implements OnModuleInit {
  private secret = '';
  private adminToken = '';
  private readonly sites: SiteRepository;
  private readonly secrets: SecretRepository;
  private readonly cache = new Map<string, { site: Site | undefined; at: number }>();

  constructor(
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.sites = new SiteRepository(clickhouse, config.clickhouse.database);
    this.secrets = new SecretRepository(clickhouse, config.clickhouse.database);
  }

  async onModuleInit(): Promise<void> {
    this.secret = await this.secrets.secret('dashboard-tokens');
    this.adminToken = this.config.http.adminToken ?? derivedAdminToken(this.secret);
  }

  isAdmin(token: string | undefined): boolean {
    return token !== undefined && sameToken(token, this.adminToken);
  }

  /** Whether `token` may read `site`; false for an unknown site. */
  async canRead(site: string, token: string | undefined): Promise<boolean> {
    if (token === undefined || token === '') return false;
    if (this.isAdmin(token)) return true;
    const known = await this.site(site);
    return known !== undefined && sameToken(token, dashboardToken(this.secret, site, known.tokenVersion));
  }

  tokenFor(site: Site): string {
    return dashboardToken(this.secret, site.id, site.tokenVersion);
  }

  /** The read-only dashboard link of a site under the gateway address `base`: it carries the site's token, so it is also the share link. */
  dashboardUrl(base: string, site: Site): string {
    return `${base}/?${new URLSearchParams({ site: site.id, token: this.tokenFor(site) })}`;
  }

  /** The admin token in use (printed at start-up when it was derived rather than configured). */
  admin(): { token: string; configured: boolean } {
    return { token: this.adminToken, configured: this.config.http.adminToken !== undefined };
  }

  forget(site: string): void {
    this.cache.delete(site);
  }

  private async site(id: string): Promise<Site | undefined> {
    const cached = this.cache.get(id);
    if (cached && Date.now() - cached.at < SITE_CACHE_MS) return cached.site;
    const site = await this.sites.get(id);
    this.cache.set(id, { site, at: Date.now() });
    return site;
  }
}
