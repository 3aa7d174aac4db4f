import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { uuidOf } from '@clickstream/events';
import { ApiError } from '@clickstream/platform';
import { CollectService } from '../collect/collect.service.js';
import { contextOf, inFlight } from '../collect/request-context.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { SiteCache } from '../sites/site-cache.js';
import { readUmamiRequest } from './umami-event.js';

/** What Umami's tracker gets back: `cache` it sends again in `x-umami-cache`; the ids are informative. */
export interface UmamiAnswer {
  cache: string;
  sessionId?: string;
  visitId?: string;
}

/** Umami's answer to a bot, which their tracker takes as any other answer. */
export interface UmamiBotAnswer {
  beep: 'boop';
}

export interface UmamiError {
  error: { code: string; message: string; field: string };
}

/** The opaque value the tracker hands back; nothing is read from it (no state is kept per visitor). */
const cacheOf = (website: string): string => Buffer.from(JSON.stringify({ website })).toString('base64url');

/** A stable UUID naming a visitor's day on a site (the visitor id itself is not handed out). */
const visitorUuid = (site: string, visitorId: string): string => uuidOf(`umami\u0000${site}\u0000${visitorId}`);

/**
 * Umami's collect endpoint (UMAMI_SEND_PATH, default /api/send; see ingest.app.ts), for sites that
 * keep Umami's tracker. 200 with `{ cache, sessionId, visitId }` once Kafka acknowledged the event,
 * `{ "beep": "boop" }` for a bot's (stored and flagged, as every bot's event); a website id that is
 * neither a site nor an alias of one is 400 "Website not found.", as their server answers; an
 * invalid event is 400 naming the field. Never `disabled`: that would stop their tracker for good.
 * `identify` is acknowledged and nothing of it is kept (no personal data is stored).
 */
@Controller('api/umami')
@UseGuards(RateLimitGuard)
export class UmamiController {
  constructor(
    private readonly collect: CollectService,
    private readonly sites: SiteCache,
    private readonly metrics: IngestMetrics,
  ) {}

  @Post('send')
  @HttpCode(200)
  send(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<UmamiAnswer | UmamiBotAnswer | UmamiError> {
    return inFlight(this.metrics, () => this.handle(body, request, reply));
  }

  private async handle(body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<UmamiAnswer | UmamiBotAnswer | UmamiError> {
    const context = contextOf(request);
    const read = readUmamiRequest(body);
    if (!read.ok) {
      this.collect.refuseRequest(ApiError.badRequest('invalid_event', read.detail, read.field), body, context.receivedAt);
      return refused(reply, 'invalid_event', read.field, `${read.field}: ${read.detail}`);
    }
    const { website } = read.value;
    const site = await this.sites.resolve(website);
    if (site === undefined) {
      this.collect.refuseUnknownSites([website], 'payload.website', body, context.receivedAt);
      return refused(reply, 'unknown_site', 'payload.website', 'Website not found.');
    }
    if (read.value.type === 'identify') {
      this.metrics.identify.inc();
      return { cache: cacheOf(website) };
    }
    try {
      const { events } = await this.collect.accept([{ ...read.value.event, site }], false, context);
      const event = events[0]!;
      if (event.isBot) return { beep: 'boop' };
      const id = visitorUuid(site, event.visitorId);
      return { cache: cacheOf(website), sessionId: id, visitId: id };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      const field = umamiField(err.field);
      return refused(reply, err.code, field, `${field}: ${err.detail}`);
    }
  }
}

function refused(reply: FastifyReply, code: string, field: string, message: string): UmamiError {
  void reply.status(400);
  return { error: { code, message, field } };
}

/** Our collect fields under the names an Umami request gave them. */
function umamiField(field: string | undefined): string {
  if (field === undefined) return 'payload';
  if (field === 'props' || field.startsWith('props.')) return `payload.data${field.slice('props'.length)}`;
  if (field === 'ts') return 'payload.timestamp';
  return `payload.${field}`;
}
