import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { ConsumerLag } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import { AggregatorMetrics } from './aggregator-metrics.js';

@Controller('metrics')
export class MetricsController {
  private readonly lag: ConsumerLag;

  constructor(
    private readonly metrics: AggregatorMetrics,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.lag = new ConsumerLag(kafka);
  }

  /** Prometheus text; consumer lag per partition is measured at scrape time. */
  @Get()
  async metricsText(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    try {
      for (const p of await this.lag.measure(this.config.kafka.consumerGroup, this.config.kafka.topics.events)) {
        this.metrics.lag.set({ partition: String(p.partition) }, Number(p.lag));
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'consumer lag not measured');
    }
    void reply.header('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lag.close();
  }
}
