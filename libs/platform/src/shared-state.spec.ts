import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClickHouseClient, migrate, SaltRepository, SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig, type AppConfig } from '@clickstream/config';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { readTopic } from '../../../test/support/kafka-reader.js';
import { ownClickHouseEnv } from '../../../test/support/own-clickhouse.js';
import { ownKafkaEnv } from '../../../test/support/test-system.js';
import { seedSharedState } from './shared-state.js';

const dayBefore = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

describe('seeding the shared state in Kafka from an installation that kept it in ClickHouse', () => {
  const logger = createLogger('silent');
  const id = randomUUID().slice(0, 8);
  let config: AppConfig;
  let clickhouse: ClickHouseClient;
  let kafka: ReturnType<typeof createKafka>;

  beforeAll(async () => {
    config = loadConfig({ ...ownKafkaEnv(`seed-${id}`, inject('kafkaBrokers')), ...ownClickHouseEnv(`spec_seed_${id}`) });
    clickhouse = createClickHouseClient(config.clickhouse);
    await migrate(clickhouse, config.clickhouse.database, logger);
    kafka = createKafka({ brokers: config.kafka.brokers!, clientId: config.kafka.clientId, logger });
    await new TopicAdmin(kafka, logger).ensureTopics(projectTopics(config.kafka));
  });
  afterAll(async () => {
    await clickhouse?.close();
  });

  it('publishes every site, moves the salts of yesterday and today (deleting older ones), and does nothing more when run again', async () => {
    const sites = new SiteRepository(clickhouse, config.clickhouse.database);
    await sites.add('shop', 'The shop');
    await sites.add('blog');
    const old = { today: 'a'.repeat(64), yesterday: 'b'.repeat(64) };
    await clickhouse.insert({
      table: `${config.clickhouse.database}.daily_salts`,
      values: [
        { day: dayBefore(0), salt: old.today },
        { day: dayBefore(1), salt: old.yesterday },
        // a later proposal for yesterday (not the agreed one), and a day no longer in use
        { day: dayBefore(1), salt: 'd'.repeat(64), created_at: '2100-01-01 00:00:00' },
        { day: dayBefore(3), salt: 'c'.repeat(64) },
      ],
      format: 'JSONEachRow',
    });

    await seedSharedState(kafka, clickhouse, config, logger);
    await seedSharedState(kafka, clickhouse, config, logger);

    const brokers = config.kafka.brokers!;
    const siteRecords = await readTopic(brokers, config.kafka.topics.sites, (m) => m.length >= 2);
    expect(siteRecords.map((r) => [r.key, r.value]).sort()).toEqual([
      ['blog', { name: 'blog' }],
      ['shop', { name: 'The shop' }],
    ]);
    const saltRecords = await readTopic(brokers, config.kafka.topics.salts, (m) => m.length >= 2);
    expect(saltRecords.map((r) => [r.key, r.text]).sort()).toEqual(
      [
        [dayBefore(0), old.today],
        [dayBefore(1), old.yesterday],
      ].sort(),
    );
    expect(await new SaltRepository(clickhouse, config.clickhouse.database).list()).toEqual([]);
  });
});
