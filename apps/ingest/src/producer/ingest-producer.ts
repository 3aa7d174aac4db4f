import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { EventProducer, type OutgoingMessage } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';

/** Ingest's one producer (events and dead letters), with the outcome of the latest send for /health. */
@Injectable()
export class IngestProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly producer: EventProducer;
  private lastFailureAt = 0;
  private lastSuccessAt = 0;

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(APP_CONFIG) config: AppConfig, @Inject(LOGGER) private readonly logger: Logger) {
    this.producer = new EventProducer(kafka, config.kafka.producer, logger.child({ component: 'event-producer' }));
  }

  /** Kafka may be down at start: ingest then answers 503 and connects with the next batch. */
  async onModuleInit(): Promise<void> {
    await this.producer.connect().catch((err: Error) => {
      this.lastFailureAt = Date.now();
      this.logger.warn({ err: err.message }, 'Kafka unreachable at start: collect answers 503 until it is back');
    });
  }

  /** After the HTTP server stopped, so in-flight requests still get their acknowledgement. */
  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
    this.logger.info('event producer flushed and closed');
  }

  /** Resolves when Kafka acknowledged every message (acks=all); rejects with ProduceError. */
  async send(messages: readonly OutgoingMessage[]): Promise<void> {
    try {
      await this.producer.send(messages);
      this.lastSuccessAt = Date.now();
    } catch (err) {
      this.lastFailureAt = Date.now();
      throw err;
    }
  }

  /** True when the latest send failed and none succeeded since. */
  get failing(): boolean {
    return this.lastFailureAt > this.lastSuccessAt;
  }
}
