import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig, type AppConfig } from '@clickstream/config';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { eventually, ownKafkaEnv } from '../../../../test/support/test-system.js';
import { VisitorIdService } from '../enrich/visitor-id.service.js';
import { IngestState } from './ingest-state.js';

describe('when a new ingest process is ready to take hits, on a real broker', () => {
  const logger = createLogger('silent');
  const closing: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  const configFor = (brokers: string): AppConfig => loadConfig({ ...ownKafkaEnv(`ready-${randomUUID().slice(0, 8)}`, brokers), CLICKHOUSE_URL: 'http://127.0.0.1:1' });

  it('is not loaded while its own seeding of the topics is unfinished, and is once it is done and read', async () => {
    const config = configFor(inject('kafkaBrokers'));
    const kafka = createKafka({ brokers: config.kafka.brokers!, clientId: config.kafka.clientId, logger });
    await new TopicAdmin(kafka, logger).ensureTopics(projectTopics(config.kafka));
    let seeded = false;
    let asked = 0;
    const state = new IngestState(kafka, config, logger, () => {
      asked += 1;
      return seeded;
    });
    closing.push(() => state.onApplicationShutdown());
    // start-up waits for the first read; here the seeding never ends while it waits, so it is not awaited
    void state.onModuleInit();
    // the topics can be read, so only the unfinished seeding keeps it from being loaded
    const { sites, salts } = config.kafka.topics;
    await eventually(() => Promise.all([state.tables.catchUp(sites), state.tables.catchUp(salts)]).then(() => true, () => undefined), 30_000, 'topics readable');
    // two more tries of its own since then, each of which could have loaded the state
    const since = asked;
    await eventually(() => (asked >= since + 2 || state.loaded ? true : undefined), 30_000, 'two more tries');
    expect(state.loaded).toBe(false);
    seeded = true;
    await eventually(() => (state.loaded ? true : undefined), 30_000, 'state loaded once seeded');
  });

  it('agrees on the day salt in the background when Kafka does not answer at first, and only then says ready', async () => {
    const config = configFor(inject('kafkaBrokers'));
    const kafka = createKafka({ brokers: config.kafka.brokers!, clientId: config.kafka.clientId, logger });
    // the topics do not exist yet: neither the reader nor the agreement can work
    const state = new IngestState(kafka, config, logger, () => true);
    closing.push(() => state.onApplicationShutdown());
    const visitors = new VisitorIdService(state, config, logger);
    closing.push(() => visitors.onApplicationShutdown());
    void state.onModuleInit();
    await visitors.onApplicationBootstrap();
    expect(visitors.ready).toBe(false);
    await new TopicAdmin(kafka, logger).ensureTopics(projectTopics(config.kafka));
    await eventually(() => (visitors.ready && state.loaded ? true : undefined), 60_000, 'salt agreed and state loaded once the topics exist');
    expect(state.tables.keys(config.kafka.topics.salts)).toEqual([new Date().toISOString().slice(0, 10)]);
  }, 120_000);
});
