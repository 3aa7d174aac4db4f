import { Body, Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '@clickstream/platform';
import { CollectService, type RejectedEvent } from '../collect/collect.service.js';
import { contextOf, inFlight } from '../collect/request-context.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { SiteCache } from '../sites/site-cache.js';
import { readPlausibleEvent } from './plausible-event.js';

/** Plausible's answer to an event it could not read: each field with what is wrong with it. */
export interface PlausibleErrors {
  errors: Record<string, string[]>;
}

/** Header values are ASCII: a domain from the request is written percent-encoded and cut short. */
const headerText = (text: string): string => encodeURIComponent(text).slice(0, 200);

/**
 * Plausible's event endpoint (PLAUSIBLE_EVENT_PATH, default /api/event; see ingest.app.ts), for
 * sites that keep Plausible's tracker. It answers as Plausible's server does, the only thing their
 * tracker looks at being the status: 202 `ok` once Kafka acknowledged the events; an event for a
 * domain that is neither a site nor an alias of one is dropped, still 202 `ok`, with the
 * `x-plausible-dropped` header (and `x-clickstream-dropped` saying why); an invalid event is 400
 * with `{ "errors": { field: [why] } }`. Every refused event is counted and dead-lettered.
 */
@Controller('api/plausible')
@UseGuards(RateLimitGuard)
export class PlausibleController {
  constructor(
    private readonly collect: CollectService,
    private readonly sites: SiteCache,
    private readonly metrics: IngestMetrics,
  ) {}

  @Post('event')
  event(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string | PlausibleErrors> {
    return inFlight(this.metrics, () => this.handle(body, request, reply));
  }

  private async handle(body: unknown, request: FastifyRequest, reply: FastifyReply): Promise<string | PlausibleErrors> {
    const context = contextOf(request);
    const read = readPlausibleEvent(body);
    if (!read.ok) {
      this.collect.refuseRequest(ApiError.badRequest('invalid_event', read.detail, read.field), body, context.receivedAt);
      return invalid(reply, read.field, read.detail, 1);
    }
    const { domains, event } = read.value;
    const unknown: string[] = [];
    const sites: string[] = [];
    for (const domain of domains) {
      const site = await this.sites.resolve(domain);
      if (site === undefined) unknown.push(domain);
      else if (!sites.includes(site)) sites.push(site);
    }
    if (unknown.length > 0) {
      this.collect.refuseUnknownSites(unknown, 'domain', body, context.receivedAt);
      void reply.header('x-clickstream-dropped', `unknown_site: ${unknown.map(headerText).join(',')}`);
    }
    let dropped = unknown.length;
    if (sites.length > 0) {
      try {
        const { answer } = await this.collect.accept(sites.map((site) => ({ ...event, site })), sites.length > 1, context);
        dropped += answer.rejected.length;
        if (answer.rejected.length > 0) void reply.header('x-clickstream-rejected', answer.rejected.map((r) => `${r.field ?? 'event'}: ${r.detail}`).join('; ').slice(0, 500));
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 400) throw err;
        // one event for several domains: all refused for the same reason, the first one says it
        const first = (err.extra['rejected'] as RejectedEvent[] | undefined)?.[0];
        return invalid(reply, plausibleField(first ? first.field : err.field), first ? first.detail : err.detail, dropped + sites.length);
      }
    }
    if (dropped > 0) void reply.header('x-plausible-dropped', String(dropped));
    void reply.status(202).header('Content-Type', 'text/plain; charset=utf-8');
    return 'ok';
  }
}

function invalid(reply: FastifyReply, field: string, detail: string, dropped: number): PlausibleErrors {
  void reply.status(400).header('x-plausible-dropped', String(dropped));
  return { errors: { [field]: [detail] } };
}

/** Our collect fields under the names a Plausible event gave them. */
function plausibleField(field: string | undefined): string {
  if (field === undefined) return 'event';
  if (field === 'scrollDepth') return 'sd';
  if (field === 'engagedMs') return 'e';
  return field;
}
