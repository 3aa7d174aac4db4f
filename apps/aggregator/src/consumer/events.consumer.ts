import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { BatchConsumer } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import { AggregationService } from './aggregation.service.js';

/** The aggregator's member of the events consumer group. */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumer: BatchConsumer;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly aggregation: AggregationService,
  ) {
    const topic = config.kafka.topics.events;
    this.consumer = new BatchConsumer(
      kafka,
      {
        groupId: config.kafka.consumerGroup,
        topics: [topic],
        fromBeginning: true,
        onAssignment: (assignment) => this.aggregation.onAssignment(assignment[topic] ?? []),
      },
      logger.child({ component: 'events-consumer' }),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start((batch) => this.aggregation.process(batch));
  }

  ready(): Promise<void> {
    return this.consumer.ready();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer.stop();
  }
}
