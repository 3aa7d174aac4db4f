import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { VisitorIdService } from '../enrich/visitor-id.service.js';
import { IngestState } from '../state/ingest-state.js';
import { KafkaHealth } from './kafka-health.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  kafka: 'up' | 'down';
  /** Whether the site list and today's visitor-id salt were read from Kafka since start-up. */
  state: 'ready' | 'loading';
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly kafka: KafkaHealth,
    private readonly state: IngestState,
    private readonly visitors: VisitorIdService,
  ) {}

  /** 200 when events can be accepted; 503 (degraded) while Kafka is unreachable or the shared state is still being read. */
  @Get()
  health(@Res({ passthrough: true }) reply: FastifyReply): HealthReport {
    const up = this.kafka.healthy;
    const ready = this.state.loaded && this.visitors.ready;
    void reply.status(up && ready ? 200 : 503);
    return { status: up && ready ? 'ok' : 'degraded', kafka: up ? 'up' : 'down', state: ready ? 'ready' : 'loading' };
  }
}
