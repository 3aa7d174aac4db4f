import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { createClickHouseClient, applyRawRetention, migrate, SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import { seedSharedState } from './shared-state.js';
import type { Logger } from '@clickstream/logger';

/**
 * The handles an app needs: the Kafka client and the ClickHouse client, built from the
 * config whatever the mode: the broker list and the ClickHouse URL are all that differ.
 */
export interface Runtime {
  config: AppConfig;
  logger: Logger;
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  /**
   * True once the topics exist and, when this app prepares the database, the shared state in
   * Kafka is seeded from it: before that, a site missing from the sites topic may only be late.
   */
  kafkaPrepared(): boolean;
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
  if (!config.clickhouse.url) throw new Error('CLICKHOUSE_URL is not set and no local ClickHouse server was started');
  const clickhouse = createClickHouseClient(config.clickhouse);
  let stopped = false;
  let prepared = false;
  try {
    if (config.clickhouse.migrate) await prepareDatabase(clickhouse, config, logger);
    // the shared state is seeded from ClickHouse by whoever prepared the database
    const prepareKafka = async (): Promise<void> => {
      await topics.ensureTopics(projectTopics(config.kafka));
      if (config.clickhouse.migrate) {
        const started = Date.now();
        await seedSharedState(kafka, clickhouse, config, logger);
        logger.info({ ms: Date.now() - started }, 'shared state in Kafka seeded');
      }
      prepared = true;
    };
    if (options.waitForKafka === false) {
      const attempt = (): void => {
        prepareKafka().catch((err: Error) => {
          if (stopped) return;
          logger.warn({ err: err.message }, 'cannot reach Kafka to check the topics; trying again in 5 s');
          setTimeout(attempt, 5000).unref();
        });
      };
      attempt();
    } else {
      await prepareKafka();
    }
  } catch (err) {
    await clickhouse.close().catch(() => undefined);
    throw err;
  }
  logger.info({ clickhouse: config.clickhouse.url, database: config.clickhouse.database }, 'ClickHouse ready');

  return {
    config,
    logger,
    kafka,
    clickhouse,
    kafkaPrepared: () => prepared,
    close: async () => {
      stopped = true;
      await clickhouse.close();
    },
  };
}

/**
 * Brings the schema up to date, applies the raw-event retention and registers the bootstrap
 * sites. `npm start` runs it once before the apps start; an app run alone runs it itself.
 */
export async function prepareDatabase(clickhouse: ClickHouseClient, config: AppConfig, logger: Logger): Promise<void> {
  await migrate(clickhouse, config.clickhouse.database, logger);
  await applyRawRetention(clickhouse, config.clickhouse.database, config.stream.rawTtlDays);
  const added = await new SiteRepository(clickhouse, config.clickhouse.database).ensure(config.ingest.bootstrapSites);
  if (added.length > 0) logger.info({ sites: added }, 'sites registered');
}
