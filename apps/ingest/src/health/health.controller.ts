import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { KafkaHealth } from './kafka-health.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  kafka: 'up' | 'down';
}

@Controller('health')
export class HealthController {
  constructor(private readonly kafka: KafkaHealth) {}

  /** 200 when events can be accepted, 503 (degraded) while Kafka is unreachable. */
  @Get()
  health(@Res({ passthrough: true }) reply: FastifyReply): HealthReport {
    const up = this.kafka.healthy;
    void reply.status(up ? 200 : 503);
    return { status: up ? 'ok' : 'degraded', kafka: up ? 'up' : 'down' };
  }
}
