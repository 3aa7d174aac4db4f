import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { startSystem, type RunningSystem } from '../../apps/standalone/src/system.js';
import { ownClickHouseEnv } from './own-clickhouse.js';

/** Kafka settings of a test's own: the broker, and topics and a consumer group named `<name>-<...>`. */
export function ownKafkaEnv(name: string, brokers: string): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_CLIENT_ID: name,
    KAFKA_TOPIC_EVENTS: `${name}.events`,
    KAFKA_TOPIC_AGGREGATES: `${name}.aggregates`,
    KAFKA_TOPIC_DEAD_LETTER: `${name}.dead-letter`,
    KAFKA_TOPIC_SITES: `${name}.sites`,
    KAFKA_TOPIC_SALTS: `${name}.salts`,
    KAFKA_CONSUMER_GROUP: `${name}-aggregator`,
  };
}

/**
 * The test's own configuration: the run's broker and ClickHouse server, topics, a consumer group
 * and a database unique to this test, free HTTP ports.
 */
export function testConfig(overrides: Record<string, string> = {}): { config: AppConfig; cleanup: () => void } {
  const id = randomUUID().slice(0, 8);
  const config = loadConfig({
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'error',
    ...ownKafkaEnv(`test-${id}`, inject('kafkaBrokers')),
    ...ownClickHouseEnv(`test_${id}`),
    INGEST_PORT: '0',
    GATEWAY_PORT: '0',
    AGGREGATOR_PORT: '0',
    // the site ids the tests post to; any other site is refused with "unknown site"
    BOOTSTRAP_SITES: 'demo,alpha,beta,gamma,stop,browser-site,shop',
    ...overrides,
  });
  return { config, cleanup: () => undefined };
}

/** A running test system: its apps on the shared test broker and ClickHouse, and its cleanup. */
export type TestSystem = RunningSystem & { cleanup: () => void };

export async function startTestSystem(overrides: Record<string, string> = {}): Promise<TestSystem> {
  const { config, cleanup } = testConfig(overrides);
  const system = await startSystem(config, createLogger(config.log.level, 'test'));
  return { ...system, cleanup };
}

/** The environment that points the `clickstream` command line at a running test system (its broker, topics, apps, ClickHouse and admin token). */
export function clickstreamEnv(system: Pick<RunningSystem, 'config' | 'gatewayUrl' | 'ingestUrl' | 'aggregatorUrl' | 'admin'>): Record<string, string> {
  const { kafka, clickhouse, http } = system.config;
  return {
    LOG_LEVEL: 'error',
    KAFKA_BROKERS: kafka.brokers!.join(','),
    KAFKA_TOPIC_EVENTS: kafka.topics.events,
    KAFKA_TOPIC_AGGREGATES: kafka.topics.aggregates,
    KAFKA_TOPIC_DEAD_LETTER: kafka.topics.deadLetter,
    KAFKA_TOPIC_SITES: kafka.topics.sites,
    KAFKA_TOPIC_SALTS: kafka.topics.salts,
    KAFKA_CONSUMER_GROUP: kafka.consumerGroup,
    PUBLIC_GATEWAY_URL: system.gatewayUrl,
    PUBLIC_INGEST_URL: system.ingestUrl,
    HOST: http.host,
    AGGREGATOR_PORT: new URL(system.aggregatorUrl).port,
    ADMIN_TOKEN: system.admin.token,
    CLICKHOUSE_URL: clickhouse.url!,
    CLICKHOUSE_USER: clickhouse.user,
    CLICKHOUSE_PASSWORD: clickhouse.password,
    CLICKHOUSE_DATABASE: clickhouse.database,
  };
}

/** The dashboard token of a site, taken from its dashboard link. */
export async function tokenFor(system: Pick<RunningSystem, 'dashboardUrl'>, site: string): Promise<string> {
  return new URL(await system.dashboardUrl(site)).searchParams.get('token')!;
}

/** Today's stored page views of a site, from the history API (with the site's token). */
export async function storedPageviews(system: Pick<RunningSystem, 'dashboardUrl' | 'gatewayUrl'>, site: string): Promise<number> {
  const res = await fetch(`${system.gatewayUrl}/api/sites/${site}/pageviews`, { headers: { Authorization: `Bearer ${await tokenFor(system, site)}` } });
  if (res.status !== 200) throw new Error(`history API answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { pageviews: number }).pageviews;
}

/** A desktop browser's User-Agent: requests without one are counted as bots. */
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export async function postJson(url: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType, 'User-Agent': BROWSER_UA }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
