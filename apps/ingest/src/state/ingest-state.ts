import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import type { TopicTables } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, KAFKA_PREPARED, LOGGER, sharedStateTables } from '@clickstream/platform';

/** How long start-up waits for the first full read of the shared state before it serves anyway. */
const FIRST_READ_MS = 15_000;
/** How long start-up waits for this process's own seeding of the topics, when it seeds them. */
const SEEDED_MS = 60_000;

/** The site list and the daily salts, read from their Kafka topics by this ingest process. */
@Injectable()
export class IngestState implements OnModuleInit, OnApplicationShutdown {
  readonly tables: TopicTables;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA_PREPARED) private readonly kafkaPrepared: () => boolean,
  ) {
    this.tables = sharedStateTables(kafka, config, logger, 'ingest');
  }

  /** Kafka may be down at start: ingest then answers 503 and keeps trying to read the state. */
  async onModuleInit(): Promise<void> {
    try {
      await this.tables.open();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'cannot read the site list and salts from Kafka at start: collect answers 503 until it can');
      this.tables.openUntilDone();
      return;
    }
    // served only once this process reads the topics (its group joined) and, when it seeds them
    // itself, they are seeded: else the first hits of every site would get 503 meanwhile. Kafka
    // answered the reader, so this is a matter of seconds; bounded all the same
    await this.tables.joined(FIRST_READ_MS);
    const seeded = Date.now() + SEEDED_MS;
    while (!this.kafkaPrepared() && Date.now() < seeded) await new Promise((r) => setTimeout(r, 100));
    const deadline = Date.now() + FIRST_READ_MS;
    const { sites, salts } = this.config.kafka.topics;
    for (;;) {
      try {
        await Promise.all([this.tables.catchUp(sites), this.tables.catchUp(salts)]);
        this.logger.info({ sites: this.tables.keys(sites).length }, 'site list read from Kafka');
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          this.logger.warn({ err: (err as Error).message }, 'site list not read from Kafka yet: collect waits for it with each hit');
          return;
        }
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tables.close();
  }
}
