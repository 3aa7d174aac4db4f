import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SiteRepository, type ClickHouseClient, type Site } from '@clickstream/clickhouse';
import { publicIngestUrlOf, type AppConfig } from '@clickstream/config';
import { siteId } from '@clickstream/events';
import { APP_CONFIG, ApiError, CLICKHOUSE } from '@clickstream/platform';
import { snippet } from '@clickstream/tracker';
import { AccessService } from '../auth/access.service.js';
import { AdminGuard } from '../auth/site-access.guard.js';
import type { SiteAliasTable } from './site-alias-table.js';
import { SiteAliasesService } from './site-aliases.service.js';
import { jsonBody } from './json-body.js';
import { SitePublisher } from './site-publisher.js';

export interface SiteView {
  id: string;
  name: string;
  createdAt: string;
  /** Read-only dashboard of this site; the link carries its dashboard token, so it is also the share link. */
  dashboardUrl: string;
}

export interface ListedSite extends SiteView {
  /** The names Plausible's and Umami's trackers give this site (GET /api/sites/:site/aliases tells their kind). */
  aliases: string[];
}

export interface CreatedSite extends SiteView {
  token: string;
  snippet: string;
}

const createSite = z.strictObject({
  id: siteId,
  name: z.string().trim().min(1).max(200).optional(),
});

/** The sites admin API: create and list sites, rotate a dashboard token. Admin token only. */
@Controller('api/sites')
@UseGuards(AdminGuard)
export class SitesController {
  private readonly sites: SiteRepository;

  constructor(
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: AccessService,
    private readonly publisher: SitePublisher,
    private readonly aliases: SiteAliasesService,
  ) {
    this.sites = new SiteRepository(clickhouse, config.clickhouse.database);
  }

  @Get()
  async list(@Req() req: FastifyRequest): Promise<{ sites: ListedSite[] }> {
    const [sites, aliases]: [Site[], SiteAliasTable] = await Promise.all([this.sites.list(), this.aliases.all()]);
    return { sites: sites.map((s) => ({ ...this.view(s, req), aliases: aliases.of(s.id).map((a) => a.value) })) };
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest): Promise<CreatedSite> {
    const parsed = createSite.safeParse(jsonBody(body));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw ApiError.badRequest('invalid_parameter', issue?.message ?? 'invalid', String(issue?.path[0] ?? 'body'));
    }
    const { id, name } = parsed.data;
    if (await this.sites.get(id)) throw ApiError.conflict(`site ${id} exists already`, 'id');
    // ingest reads a tracker's name as an alias before a site id: the new site would get no hits
    const holder = await this.aliases.holderOf(id);
    if (holder !== undefined) throw ApiError.conflict(`${id} is an alias of site ${holder}`, 'id');
    // Kafka first: should the ClickHouse insert fail, the site is accepted by ingest but not
    // listed here, and creating it again (not a conflict then) finishes the job
    await this.publisher.publish({ id, name: name ?? id }).catch((err: Error) => {
      throw ApiError.unavailable(`the site cannot be published to Kafka: ${err.message}`, 2);
    });
    await this.sites.add(id, name ?? id);
    const site = (await this.sites.get(id))!;
    return this.created(site, req);
  }

  /** A new dashboard token; the old one (and every link carrying it) stops working within seconds. */
  @Post(':site/rotate-token')
  @HttpCode(200)
  async rotateToken(@Param('site') id: string, @Req() req: FastifyRequest): Promise<CreatedSite> {
    const site = await this.sites.get(id);
    if (!site) throw ApiError.notFound(`no site ${id}`, 'site');
    const tokenVersion = await this.sites.rotateToken(site);
    this.access.forget(id);
    return this.created({ ...site, tokenVersion }, req);
  }

  private created(site: Site, req: FastifyRequest): CreatedSite {
    return { ...this.view(site, req), token: this.access.tokenFor(site), snippet: snippet(`${publicIngestUrlOf(this.config.http)}${this.config.ingest.trackerScriptPath}`, site.id) };
  }

  private view(site: Site, req: FastifyRequest): SiteView {
    const base = this.config.http.publicGatewayUrl ?? `${req.protocol}://${req.host}`;
    return { id: site.id, name: site.name, createdAt: site.createdAt, dashboardUrl: this.access.dashboardUrl(base, site) };
  }
}
