import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { SaltRepository, SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import { TopicTables } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';

/**
 * The state every ingest process shares, kept in Kafka rather than in ClickHouse: the site list
 * (a compacted topic, the latest record of each site) and the daily visitor-id salts (the first
 * salt proposed for a day wins, in the topic's one partition's order). `role` names the reader's
 * consumer groups.
 */
export function sharedStateTables(kafka: Kafka, config: AppConfig, logger: Logger, role: string, catchUpTimeoutMs = config.kafka.producer.timeoutMs): TopicTables {
  return new TopicTables(kafka, logger.child({ component: 'shared-state' }), {
    groupPrefix: `${config.kafka.clientId}-${role}-state`,
    tables: [
      { topic: config.kafka.topics.sites, keep: 'latest' },
      { topic: config.kafka.topics.salts, keep: 'first' },
    ],
    catchUpTimeoutMs,
  });
}

/** The record of a site in the sites topic: what ingest needs to know of it. */
export const siteRecord = (site: { name: string }): string => JSON.stringify({ name: site.name });

/**
 * Publishes every site ClickHouse lists and the sites topic lacks (the bootstrap sites, and the
 * sites of an installation from before the site list moved to Kafka), and moves the salts that
 * such an installation kept in ClickHouse into the salts topic, so visitor ids stay the same.
 */
export async function seedSharedState(kafka: Kafka, clickhouse: ClickHouseClient, config: AppConfig, logger: Logger): Promise<void> {
  const { sites: sitesTopic, salts: saltsTopic } = config.kafka.topics;
  // a start-up step, not a hit: it may wait longer than a request would
  const tables = sharedStateTables(kafka, config, logger, 'seed', 30_000);
  try {
    await tables.open();
    await Promise.all([tables.catchUp(sitesTopic), tables.catchUp(saltsTopic)]);
    const published: string[] = [];
    for (const site of await new SiteRepository(clickhouse, config.clickhouse.database).list()) {
      // a site id has no ':', so no alias key (`alias:…`, see site-alias.ts) is ever taken for a site here
      if (tables.get(sitesTopic, site.id) !== undefined) continue;
      await tables.put(sitesTopic, site.id, siteRecord(site));
      published.push(site.id);
    }
    if (published.length > 0) logger.info({ sites: published, topic: sitesTopic }, 'sites published to the site-list topic');
    const oldSalts = new SaltRepository(clickhouse, config.clickhouse.database);
    const salts = await oldSalts.list();
    if (salts.length > 0) {
      // only yesterday's and today's are still in use; older ones are deleted, not moved
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      const inUse = salts.filter((s) => s.day >= yesterday);
      for (const { day, salt } of inUse) if (tables.get(saltsTopic, day) === undefined) await tables.put(saltsTopic, day, salt);
      await oldSalts.deleteAll();
      logger.info({ moved: inUse.map((s) => s.day), deleted: salts.length, topic: saltsTopic }, 'visitor-id salts moved from ClickHouse to Kafka');
    }
  } finally {
    // not awaited: a reader that leaves its group while the group is still settling can take a
    // session timeout to go, and the apps wait for the seeding, not for that
    void tables.close();
  }
}
