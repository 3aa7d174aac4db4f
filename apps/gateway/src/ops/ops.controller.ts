import { Controller, Get, Inject, Query, Req, type OnApplicationShutdown } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { ConsumerLag } from '@clickstream/kafka';
import { APP_CONFIG, ApiError, KAFKA } from '@clickstream/platform';
import { AccessService } from '../auth/access.service.js';
import { tokenOf } from '../auth/site-access.guard.js';

export interface OpsReport {
  /** Events the aggregator has not committed yet, over all partitions. */
  consumerLag: number;
  partitions: { partition: number; lag: number }[];
  /** Records in the dead-letter topic (refused or undecodable events). */
  deadLetters: number;
}

/** What an operator looks at on the dashboard: is the aggregator keeping up, is anything being refused. */
@Controller('api/ops')
export class OpsController implements OnApplicationShutdown {
  private readonly lag: ConsumerLag;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: AccessService,
  ) {
    this.lag = new ConsumerLag(kafka);
  }

  /** Any site's dashboard token (with `?site=`) or the admin token. */
  @Get()
  async report(@Req() req: FastifyRequest, @Query('site') site?: string): Promise<OpsReport> {
    const token = tokenOf(req);
    if (!this.access.isAdmin(token) && !(site !== undefined && (await this.access.canRead(site, token)))) {
      throw ApiError.unauthorized('a dashboard token and its ?site=, or the admin token, is required');
    }
    const { topics, consumerGroup } = this.config.kafka;
    const partitions = await this.lag.measure(consumerGroup, topics.events);
    const admin = this.kafka.admin();
    await admin.connect();
    let deadLetters = 0;
    try {
      for (const p of await admin.fetchTopicOffsets(topics.deadLetter)) deadLetters += Number(p.high) - Number(p.low);
    } finally {
      await admin.disconnect();
    }
    return {
      consumerLag: partitions.reduce((sum, p) => sum + Number(p.lag), 0),
      partitions: partitions.map((p) => ({ partition: p.partition, lag: Number(p.lag) })),
      deadLetters,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lag.close();
  }
}
