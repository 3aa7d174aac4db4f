import { Module } from '@nestjs/common';
import { CollectModule } from '../collect/collect.module.js';
import { HealthController } from './health.controller.js';
import { KafkaHealth } from './kafka-health.js';

@Module({ imports: [CollectModule], controllers: [HealthController], providers: [KafkaHealth] })
export class HealthModule {}
