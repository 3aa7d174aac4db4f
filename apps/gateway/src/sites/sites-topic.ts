import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { TopicTables } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';

/** Admin calls may wait this long for Kafka: a new reader's group join alone can take seconds. */
const ADMIN_WAIT_MS = 10_000;

/**
 * The compacted sites topic as the gateway sees it: written when sites and aliases are added,
 * read (from its first record, by a reader of this gateway's own) to decide on aliases and list
 * them. Only the sites topic: the gateway has no use for the visitor-id salts beside it.
 */
@Injectable()
export class SitesTopic implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly topic: string;
  private readonly tables: TopicTables;
  /** This instance's own: its reader's group (prefix plus a suffix of TopicTables') is found by it and deleted at shutdown. */
  private readonly groupPrefix: string;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.topic = config.kafka.topics.sites;
    this.groupPrefix = `${config.kafka.clientId}-gateway-sites-${randomUUID()}`;
    this.tables = new TopicTables(kafka, logger.child({ component: 'sites-topic' }), {
      groupPrefix: this.groupPrefix,
      tables: [{ topic: this.topic, keep: 'latest' }],
      catchUpTimeoutMs: ADMIN_WAIT_MS,
    });
  }

  /** Starts reading in the background (retried while Kafka is unreachable): start-up does not wait for it. */
  onApplicationBootstrap(): void {
    this.tables.openUntilDone();
  }

  /** Resolves once every in-sync replica has the record; null removes the key. */
  put(key: string, value: string | null): Promise<void> {
    return this.tables.put(this.topic, key, value);
  }

  /** Resolves once everything written to the topic before the call has been read. */
  catchUp(): Promise<void> {
    return this.tables.catchUp(this.topic);
  }

  /** The latest record of every key read so far. */
  records(): Array<[string, string | undefined]> {
    return this.tables.keys(this.topic).map((key) => [key, this.tables.get(this.topic, key)]);
  }

  /** Stops reading and deletes the reader's group, as the live consumer's is: a gateway leaves no group behind. */
  async onApplicationShutdown(): Promise<void> {
    await this.tables.close();
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const mine = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(`${this.groupPrefix}-`));
      if (mine.length > 0) await admin.deleteGroups(mine);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, groupPrefix: this.groupPrefix }, 'could not delete the sites-topic reader group');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
