import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { createClickHouseClient, applyRawRetention, migrate, SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';

/**
 * The handles an app needs: the Kafka client and the ClickHouse client, built from the
 * config whatever the mode. In the all-in-one process the three apps share one Runtime
 * (one chDB folder belongs to one process); a lone app builds its own.
 */
export interface Runtime {
  config: AppConfig;
  logger: Logger;
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * False for an app that must come up while Kafka is down (ingest answers 503 meanwhile):
   * the topics are then created in the background, retried until the broker answers.
   */
  waitForKafka?: boolean;
}

export async function createRuntime(config: AppConfig, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const brokers = config.kafka.brokers;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set and no local broker was started');
  const kafka = createKafka({ brokers, clientId: config.kafka.clientId, logger });
  const topics = new TopicAdmin(kafka, logger);
  let stopped = false;
  if (options.waitForKafka === false) {
    const ensure = (): void => {
      topics.ensureTopics(projectTopics(config.kafka)).catch((err: Error) => {
        if (stopped) return;
        logger.warn({ err: err.message }, 'cannot reach Kafka to check the topics; trying again in 5 s');
        setTimeout(ensure, 5000).unref();
      });
    };
    ensure();
  } else {
    await topics.ensureTopics(projectTopics(config.kafka));
  }

  let clickhouse: ClickHouseClient | undefined;
  try {
    clickhouse = createClickHouseClient(config.clickhouse);
    await migrate(clickhouse, config.clickhouse.database, logger);
    await applyRawRetention(clickhouse, config.clickhouse.database, config.stream.rawTtlDays);
  } catch (err) {
    await clickhouse?.close().catch(() => undefined);
    if (config.clickhouse.mode === 'embedded' && /Failed to create connection/.test((err as Error).message)) {
      throw new Error(
        `cannot open the embedded ClickHouse folder CHDB_PATH=${config.clickhouse.path}: it is in use by another process ` +
          '(one folder belongs to one process) or not writable; stop the other process, set another CHDB_PATH, ' +
          'or set CLICKHOUSE_URL to a ClickHouse server',
        { cause: err },
      );
    }
    throw err;
  }
  logger.info({ clickhouse: config.clickhouse.mode, database: config.clickhouse.database }, 'ClickHouse ready');
  const added = await new SiteRepository(clickhouse, config.clickhouse.database).ensure(config.ingest.bootstrapSites);
  if (added.length > 0) logger.info({ sites: added }, 'sites registered');

  const client = clickhouse;
  return {
    config,
    logger,
    kafka,
    clickhouse: client,
    close: async () => {
      stopped = true;
      await client.close();
    },
  };
}
