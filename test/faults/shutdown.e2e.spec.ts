import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';
import { claimPort } from '@clickstream/infra';
import { ownClickHouseEnv } from '../support/own-clickhouse.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { ownKafkaEnv } from '../support/test-system.js';
import { AppProcess, waitForHttp } from './app-process.js';
import { steadyLoad } from './steady-load.js';
import { expectExact, storedSummary } from './stored-tables.js';

const SITES = ['alpha', 'beta'];
const EVENTS = Number(process.env['SHUTDOWN_EVENTS'] ?? 6000);
const RATE = 200;
const DURATION_S = Math.ceil(EVENTS / RATE);

/**
 * Graceful shutdown under load: ingest and the aggregator are each stopped with SIGTERM (what
 * Ctrl-C, `docker stop` and Kubernetes send) while the load generator runs, and started again.
 * A stopping ingest finishes the requests it took (their 202 means Kafka has them) and refuses
 * the rest; a stopping aggregator stores and commits what it read. Afterwards every event that got
 * a 202 is stored exactly once.
 */
describe(`${EVENTS} events through a SIGTERM of ingest and one of the aggregator`, () => {
  const id = randomUUID().slice(0, 8);
  let ingest: AppProcess;
  let aggregator: AppProcess;
  let ingestUrl: string;
  let aggregatorUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    const ingestPort = await claimPort(0, 'test');
    const aggregatorPort = await claimPort(0, 'test');
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    aggregatorUrl = `http://127.0.0.1:${aggregatorPort}`;
    env = { LOG_LEVEL: 'info', ...ownKafkaEnv(`shutdown-${id}`, inject('kafkaBrokers')), ...ownClickHouseEnv(`shutdown_${id}`), BOOTSTRAP_SITES: SITES.join(',') };
    ingest = new AppProcess('ingest', { ...env, INGEST_PORT: String(ingestPort), TRUST_PROXY: '1', RATE_LIMIT_BURST: '1000000', RATE_LIMIT_PER_SECOND: '1000000' });
    aggregator = new AppProcess('aggregator', { ...env, AGGREGATOR_PORT: String(aggregatorPort) });
    ingest.start();
    await waitForHttp(`${ingestUrl}/health`, [200], 90_000);
    aggregator.start();
    await waitForHttp(`${aggregatorUrl}/health`, [200], 90_000);
  }, 180_000);

  afterAll(async () => {
    for (const app of [ingest, aggregator]) if (app?.running) await app.stop('SIGKILL');
  });

  it('stores every event answered 202 exactly once; the stops exit 0, flushed and committed', async () => {
    const stops: { app: string; code: number | null; output: string }[] = [];
    const stopAndStart = async (app: AppProcess, url: string): Promise<void> => {
      const exit = await app.stop('SIGTERM');
      stops.push({ app: app.name, code: exit.code, output: app.output() });
      app.start();
      await waitForHttp(`${url}/health`, [200, 503], 90_000);
    };
    const interrupts = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, (DURATION_S * 1000) / 3));
      await stopAndStart(ingest, ingestUrl);
      await new Promise((r) => setTimeout(r, (DURATION_S * 1000) / 3));
      await stopAndStart(aggregator, aggregatorUrl);
    };
    const [report] = await Promise.all([
      steadyLoad(`${ingestUrl}/api/collect`, { rate: RATE, durationSeconds: DURATION_S, sites: SITES, seed: 7 }),
      interrupts(),
    ]);

    // both stops were graceful: exit code 0, ingest flushed its producer, the aggregator committed
    expect(stops.map((s) => [s.app, s.code])).toEqual([
      ['ingest', 0],
      ['aggregator', 0],
    ]);
    expect(stops[0]!.output).toContain('event producer flushed and closed');
    // the load went on through both stops: the retries are what the stopped ingest refused
    expect(report.requests.retries, JSON.stringify(report.byStatus)).toBeGreaterThan(0);
    expect(report.events.unacknowledged).toBe(0);
    expect(report.acceptedIds.length).toBe(EVENTS);

    await waitForCommittedEnd(env['KAFKA_BROKERS']!, env['KAFKA_TOPIC_EVENTS']!, env['KAFKA_CONSUMER_GROUP']!, 120_000, () => aggregator.output());
    const storage = loadConfig(env).clickhouse;
    const clickhouse = createClickHouseClient(storage);
    try {
      const stored = await storedSummary(clickhouse, storage.database, new Set(report.acceptedIds));
      console.log(`shutdown: ${JSON.stringify({ ...stored, missing: stored.missing.length, extra: stored.extra.length, byStatus: report.byStatus, retries: report.requests.retries })}`);
      expectExact(stored);
    } finally {
      await clickhouse.close();
    }
  }, (DURATION_S + 300) * 1000);
});
