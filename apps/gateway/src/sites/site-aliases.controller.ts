import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { siteId } from '@clickstream/events';
import { ApiError } from '@clickstream/platform';
import { AdminGuard } from '../auth/site-access.guard.js';
import { parseAliasBody } from './alias-body.js';
import { SiteAliasesService, type SiteAliasView } from './site-aliases.service.js';

function parseSite(value: string): string {
  const parsed = siteId.safeParse(value);
  if (!parsed.success) throw ApiError.badRequest('invalid_parameter', parsed.error.issues[0]?.message ?? 'invalid', 'site');
  return parsed.data;
}

/**
 * A site's aliases (a Plausible domain, an Umami website id), so that those products' trackers
 * count into it unchanged. Admin token only. Adding an alias the site has already is a 200.
 */
@Controller('api/sites/:site/aliases')
@UseGuards(AdminGuard)
export class SiteAliasesController {
  constructor(private readonly aliases: SiteAliasesService) {}

  @Get()
  async list(@Param('site') site: string): Promise<{ site: string; aliases: SiteAliasView[] }> {
    const id = parseSite(site);
    return { site: id, aliases: await this.aliases.list(id) };
  }

  @Post()
  async add(@Param('site') site: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ site: string } & SiteAliasView> {
    const id = parseSite(site);
    const { created, ...added } = await this.aliases.add(id, parseAliasBody(body));
    void reply.status(created ? 201 : 200);
    return added;
  }

  @Delete(':alias')
  @HttpCode(204)
  async remove(@Param('site') site: string, @Param('alias') alias: string): Promise<void> {
    await this.aliases.remove(parseSite(site), alias);
  }
}
