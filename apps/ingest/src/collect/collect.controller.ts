import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { CollectService, type CollectAnswer } from './collect.service.js';
import { contextOf, inFlight } from './request-context.js';

/** A transparent 1×1 GIF for the no-JavaScript pixel. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * The canonical routes; the configured public paths (COLLECT_PATH) are rewritten onto
 * these before routing, see ingest.app.ts.
 */
@Controller('api/collect')
@UseGuards(RateLimitGuard)
export class CollectController {
  constructor(
    private readonly collectService: CollectService,
    private readonly metrics: IngestMetrics,
  ) {}

  /** 202 means every accepted event is durable in Kafka. */
  @Post()
  @HttpCode(202)
  async collect(@Body() body: unknown, @Req() request: FastifyRequest): Promise<CollectAnswer> {
    return this.track(() => this.collectService.collect(body, contextOf(request)));
  }

  /** For pages without JavaScript: `<img src=".../pixel.gif?site=…">`; the page URL defaults to the Referer. */
  @Get('pixel.gif')
  async pixel(
    @Query() query: Record<string, string | undefined>,
    @Headers('referer') referer: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const event = { site: query['site'], url: query['url'] ?? referer, ...(query['ref'] ? { referrer: query['ref'] } : {}), ...(query['title'] ? { title: query['title'] } : {}) };
    await this.track(() => this.collectService.collect(JSON.stringify(event), contextOf(request)));
    void reply.status(202).header('Content-Type', 'image/gif').header('Cache-Control', 'no-store');
    return PIXEL;
  }

  private track<T>(work: () => Promise<T>): Promise<T> {
    return inFlight(this.metrics, work);
  }
}
