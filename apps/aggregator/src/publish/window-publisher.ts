import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { encodeAggregateUpdate } from '@clickstream/events';
import { EventProducer } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import type { PresenceOut, WindowUpdateOut } from '@clickstream/stream';

/** Publishes window updates to the aggregates topic, keyed by site so a site's updates stay in order, and dead letters. */
@Injectable()
export class WindowPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly producer: EventProducer;
  private readonly topic: string;

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(LOGGER) logger: Logger) {
    this.topic = config.kafka.topics.aggregates;
    this.producer = new EventProducer(kafka, { lingerMs: 0, maxBatch: 10_000, timeoutMs: 10_000 }, logger.child({ component: 'window-publisher' }));
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
  }

  /** After the HTTP server and consumers stopped, so in-flight work still gets its acknowledgement. */
  async onApplicationShutdown(): Promise<void> {
    await this.producer.close();
  }

  /** Records the aggregator cannot decode go to the dead-letter topic with the reason, once. */
  async deadLetter(records: readonly { partition: number; offset: bigint; value: Buffer | null; reason: string }[]): Promise<void> {
    await this.producer.send(
      records.map((r) => ({
        topic: this.config.kafka.topics.deadLetter,
        key: `${this.config.kafka.topics.events}:${r.partition}:${r.offset}`,
        value: Buffer.from(
          JSON.stringify({
            source: 'aggregator',
            topic: this.config.kafka.topics.events,
            partition: r.partition,
            offset: r.offset.toString(),
            reason: r.reason,
            payload: (r.value?.toString('utf8') ?? '').slice(0, 4096),
          }),
        ),
      })),
    );
  }

  /** Window partials, keyed by site so a site's updates stay in order. */
  async publishWindows(updates: readonly WindowUpdateOut[]): Promise<void> {
    await this.producer.send(
      updates.map((u) => ({
        topic: this.topic,
        key: u.site,
        value: encodeAggregateUpdate({
          v: 3,
          kind: 'window',
          site: u.site,
          partition: u.partition,
          windowStart: u.windowStart,
          windowSizeMs: u.windowSizeMs,
          offset: u.offset.toString(),
          final: u.final,
          metrics: u.metrics.toJSON(),
        }),
      })),
    );
  }

  /** Current visitors of each site on each partition. */
  async publishPresence(counts: readonly PresenceOut[]): Promise<void> {
    await this.producer.send(
      counts.map((c) => ({
        topic: this.topic,
        key: c.site,
        value: encodeAggregateUpdate({ v: 3, kind: 'presence', site: c.site, partition: c.partition, at: c.at, visitors5m: c.visitors5m, visitors30m: c.visitors30m }),
      })),
    );
  }
}
