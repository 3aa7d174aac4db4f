import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { IngestMetrics } from './ingest-metrics.js';

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: IngestMetrics) {}

  @Get()
  async metricsText(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.header('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
