import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { siteId } from '@clickstream/events';
import { ApiError } from '@clickstream/platform';
import { SiteAccessGuard } from '../auth/site-access.guard.js';
import { HistoryRepository } from './history.repository.js';

export interface PageviewsResponse {
  site: string;
  from: string;
  to: string;
  pageviews: number;
}

@Controller('api/sites')
@UseGuards(SiteAccessGuard)
export class HistoryController {
  constructor(private readonly history: HistoryRepository) {}

  /** Pageviews of a site in [from, to); both optional, ISO 8601 or epoch milliseconds. */
  @Get(':site/pageviews')
  async pageviews(@Param('site') site: string, @Query('from') from?: string, @Query('to') to?: string): Promise<PageviewsResponse> {
    const parsedSite = siteId.safeParse(site);
    if (!parsedSite.success) throw ApiError.badRequest('invalid_parameter', parsedSite.error.issues[0]?.message ?? 'invalid', 'site');
    const fromMs = parseInstant(from, 'from', 0);
    const toMs = parseInstant(to, 'to', Date.now() + 1000);
    if (fromMs >= toMs) throw ApiError.badRequest('invalid_parameter', 'must be after "from"', 'to');
    const pageviews = await this.history.pageviews(parsedSite.data, fromMs, toMs);
    return { site: parsedSite.data, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), pageviews };
  }
}

const MAX_INSTANT = Date.UTC(2200, 0, 1);

function parseInstant(value: string | undefined, field: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_INSTANT) {
    throw ApiError.badRequest('invalid_parameter', 'expected an ISO 8601 date-time or epoch milliseconds between 1970 and 2200', field);
  }
  return ms;
}
