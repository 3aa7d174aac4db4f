import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig, type AppConfig } from '@clickstream/config';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { ApiError, siteRecord } from '@clickstream/platform';
import { ownKafkaEnv } from '../../../../test/support/test-system.js';
import { IngestState } from '../state/ingest-state.js';
import { SiteCache } from './site-cache.js';

describe('the site list ingest reads from the compacted sites topic, on a real broker', () => {
  const logger = createLogger('silent');
  const states: IngestState[] = [];

  const setUp = async (): Promise<{ config: AppConfig; kafka: ReturnType<typeof createKafka>; publish: (id: string) => Promise<void> }> => {
    const config = loadConfig({ ...ownKafkaEnv(`sites-${randomUUID().slice(0, 8)}`, inject('kafkaBrokers')), CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    const kafka = createKafka({ brokers: config.kafka.brokers!, clientId: config.kafka.clientId, logger });
    await new TopicAdmin(kafka, logger).ensureTopics(projectTopics(config.kafka));
    const producer = kafka.producer();
    await producer.connect();
    const publish = async (id: string): Promise<void> => {
      await producer.send({ topic: config.kafka.topics.sites, acks: -1, messages: [{ key: id, value: siteRecord({ name: id }) }] });
    };
    return { config, kafka, publish };
  };
  const started = async (config: AppConfig, kafka: ReturnType<typeof createKafka>): Promise<IngestState> => {
    const state = new IngestState(kafka, config, logger, () => true);
    states.push(state);
    await state.onModuleInit();
    return state;
  };

  afterEach(async () => {
    await Promise.all(states.splice(0).map((s) => s.onApplicationShutdown()));
  });

  it('knows the sites published before it started, and one published a moment before its hit', async () => {
    const { config, kafka, publish } = await setUp();
    await publish('alpha');
    const cache = new SiteCache(await started(config, kafka), config, logger, () => true);
    expect(await cache.has('alpha')).toBe(true);
    expect(await cache.has('beta')).toBe(false);
    await publish('beta');
    // no wait: the miss reads what the topic holds now
    expect(await cache.has('beta')).toBe(true);
  });

  it('needs no ClickHouse at all (the one configured here does not exist), and two ingest processes agree', async () => {
    const { config, kafka, publish } = await setUp();
    const [one, two] = [new SiteCache(await started(config, kafka), config, logger, () => true), new SiteCache(await started(config, kafka), config, logger, () => true)];
    await publish('shop');
    expect([await one.has('shop'), await two.has('shop'), await one.has('nope'), await two.has('nope')]).toEqual([true, true, false, false]);
  });

  it('keeps a known site known when the topic cannot be read, and answers 503 for one it never saw', async () => {
    const { config, kafka, publish } = await setUp();
    await publish('alpha');
    const state = await started(config, kafka);
    const cache = new SiteCache(state, config, logger, () => true);
    expect(await cache.has('alpha')).toBe(true);
    // Kafka gone, as far as this reader can tell
    state.tables.catchUp = () => Promise.reject(new Error('connect ECONNREFUSED'));
    expect(await cache.has('alpha')).toBe(true);
    const unknown = await cache.has('beta').catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).status).toBe(503);
    expect((unknown as ApiError).headers['Retry-After']).toBe('2');
  });

  it('answers 503, not unknown, for a site missing while the process has yet to seed the topic itself', async () => {
    const { config, kafka, publish } = await setUp();
    await publish('alpha');
    const cache = new SiteCache(await started(config, kafka), config, logger, () => false);
    expect(await cache.has('alpha')).toBe(true);
    const early = await cache.has('beta').catch((err: unknown) => err);
    expect((early as ApiError).status).toBe(503);
  });

  it('knows the configured bootstrap sites before anything is read', async () => {
    const { config, kafka } = await setUp();
    const withBootstrap = { ...config, ingest: { ...config.ingest, bootstrapSites: ['early'] } };
    const state = await started(withBootstrap, kafka);
    state.tables.catchUp = () => Promise.reject(new Error('not read yet'));
    const cache = new SiteCache(state, withBootstrap, logger, () => false);
    expect(await cache.has('early')).toBe(true);
    expect(((await cache.has('other').catch((err: unknown) => err)) as ApiError).status).toBe(503);
  });
});
