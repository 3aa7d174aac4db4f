import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AggregationService } from '../consumer/aggregation.service.js';
import { EventsConsumer } from '../consumer/events.consumer.js';

export interface AggregatorHealth {
  status: 'ok' | 'degraded';
  clickhouse: 'up' | 'down';
  /** Since when ClickHouse has been in its current state (ms since epoch). */
  clickhouseSince: number;
  partitions: readonly number[];
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly aggregation: AggregationService,
    private readonly consumer: EventsConsumer,
  ) {}

  /** 200 while events are stored; 503 (degraded) while ClickHouse refuses inserts and consumption is paused. */
  @Get()
  health(@Res({ passthrough: true }) reply: FastifyReply): AggregatorHealth {
    const storage = this.aggregation.storageState();
    void reply.status(storage.up ? 200 : 503);
    return { status: storage.up ? 'ok' : 'degraded', clickhouse: storage.up ? 'up' : 'down', clickhouseSince: storage.since, partitions: this.consumer.assignment() };
  }
}
