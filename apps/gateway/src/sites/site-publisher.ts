import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import type { TopicTables } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER, sharedStateTables, siteRecord } from '@clickstream/platform';

/** Writes new sites to the compacted sites topic, which every ingest process reads its site list from. */
@Injectable()
export class SitePublisher implements OnApplicationShutdown {
  private readonly tables: TopicTables;
  private readonly topic: string;

  constructor(@Inject(KAFKA) kafka: Kafka, @Inject(APP_CONFIG) config: AppConfig, @Inject(LOGGER) logger: Logger) {
    this.tables = sharedStateTables(kafka, config, logger, 'gateway');
    this.topic = config.kafka.topics.sites;
  }

  /** Resolves once the site's record is on every replica; ingest accepts its hits from then on. */
  publish(site: { id: string; name: string }): Promise<void> {
    return this.tables.put(this.topic, site.id, siteRecord(site));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tables.close();
  }
}
