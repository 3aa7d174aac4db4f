import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import type { TopicTables } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, isSiteAliasKey, KAFKA, KAFKA_PREPARED, LOGGER, sharedStateTables } from '@clickstream/platform';

/** How long start-up waits for the first full read of the shared state before it listens anyway (/health says loading until then). */
const START_WAIT_MS = 60_000;
/** Pause between two tries of the first full read. */
const RETRY_MS = 500;

/**
 * The site list and the daily salts, read from their Kafka topics by this ingest process.
 * `loaded` turns true once both were read to their end once (and, when this process seeds the
 * topics itself, after the seeding): before that a known site may look unknown, so /health
 * reports loading and keeps a load balancer away, with no deadline to run out.
 */
@Injectable()
export class IngestState implements OnModuleInit, OnApplicationShutdown {
  readonly tables: TopicTables;
  private loadedOnce = false;
  private closed = false;

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA_PREPARED) private readonly kafkaPrepared: () => boolean,
  ) {
    this.tables = sharedStateTables(kafka, config, logger, 'ingest');
  }

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Sites read from the sites topic so far (its alias records left out), for the logs. */
  siteCount(): number {
    return this.tables.keys(this.config.kafka.topics.sites).filter((key) => !isSiteAliasKey(key)).length;
  }

  /** Kafka down at start: ingest listens at once, answers 503, and keeps trying to read the state. */
  async onModuleInit(): Promise<void> {
    let reachable = true;
    try {
      await this.tables.open();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'cannot read the site list and salts from Kafka at start: collect answers 503 until it can');
      this.tables.openUntilDone();
      reachable = false;
    }
    const first = this.loadUntilDone();
    // Kafka answered: the first read is a matter of seconds, and serving before it would answer 503
    if (reachable) await Promise.race([first, sleep(START_WAIT_MS, undefined, { ref: false })]);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.tables.close();
  }

  private async loadUntilDone(): Promise<void> {
    const { sites, salts } = this.config.kafka.topics;
    let warned = false;
    while (!this.closed) {
      // an ingest process that seeds the topics itself reads them once they are seeded
      if (this.kafkaPrepared()) {
        try {
          await Promise.all([this.tables.catchUp(sites), this.tables.catchUp(salts)]);
          this.loadedOnce = true;
          this.logger.info({ sites: this.siteCount() }, 'site list read from Kafka');
          return;
        } catch (err) {
          if (!warned) this.logger.warn({ err: (err as Error).message }, 'site list not read from Kafka yet: /health reports loading until it is');
          warned = true;
        }
      }
      await sleep(RETRY_MS, undefined, { ref: false });
    }
  }
}
