import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClickHouseClient, VISITOR_SKETCH } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';
import { encodeEvent, type TrackedEvent } from '@clickstream/events';
import { projectTopics, TopicAdmin } from '@clickstream/kafka';
import { createLogger } from '@clickstream/logger';
import { ownClickHouseEnv } from '../support/own-clickhouse.js';
import { eventually, ownKafkaEnv } from '../support/test-system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const logger = createLogger('error', 'test');
const EVENTS = 400;

/** Runs the built aggregator as its own process, as a container would; resolves with how it ended. */
function runAggregator(env: Record<string, string>): { exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ['dist/apps/aggregator/src/main.js'], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output }))),
    kill: (signal) => child.kill(signal),
  };
}

describe('an aggregator killed between its ClickHouse insert and its Kafka commit', () => {
  const id = randomUUID().slice(0, 8);
  const env: Record<string, string> = {
    LOG_LEVEL: 'warn',
    ...ownKafkaEnv(`crash-${id}`, inject('kafkaBrokers')),
    ...ownClickHouseEnv(`crash_${id}`),
    AGGREGATOR_PORT: '0',
    // small inserts, so the crash lands with some rows stored and more still to come
    AGGREGATOR_FLUSH_ROWS: '50',
    AGGREGATOR_FLUSH_INTERVAL_MS: '100',
  };
  const config = loadConfig(env);
  const kafka = new Kafka({ clientId: `crash-${id}`, brokers: inject('kafkaBrokers').split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  const committed = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId: config.kafka.consumerGroup, topics: [config.kafka.topics.events] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  };

  beforeAll(async () => {
    // the child runs the compiled apps (built by the global setup), as `npm start` and the Docker image do
    await new TopicAdmin(kafka, logger).ensureTopics(projectTopics(config.kafka));
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('after a restart stores every event exactly once, raw rows and rollups alike', async () => {
    const t0 = Date.now();
    const events: TrackedEvent[] = Array.from({ length: EVENTS }, (_, i) => ({
      v: 3,
      id: randomUUID(),
      clientEventId: null,
      type: 'pageview',
      name: null,
      props: {},
      site: 'shop',
      url: `https://shop.example/${i % 7}`,
      hostname: 'shop.example',
      path: `/${i % 7}`,
      referrer: null,
      referrerDomain: null,
      title: null,
      screen: null,
      language: null,
      utm: { source: null, medium: null, campaign: null, term: null, content: null },
      browser: 'Chrome',
      os: 'Linux',
      device: 'desktop',
      isBot: false,
      country: null,
      visitorId: `visitor-${i % 40}`,
      eventTime: t0 + i,
      clientTime: null,
      timeFlagged: false,
      receivedAt: t0 + i,
      tag: null,
      revenue: null,
      scrollDepth: null,
      engagedMs: null,
    }));
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: config.kafka.topics.events, acks: -1, messages: events.map((e) => ({ key: `${e.site}:${e.visitorId}`, value: encodeEvent(e) })) });
    await producer.disconnect();

    // first run: SIGKILL right after the second insert, before its commit
    const crashed = await runAggregator({ ...env, AGGREGATOR_CRASH_AFTER_INSERTS: '2' }).exited;
    // only the failpoint sends SIGKILL (its log line may not reach the pipe before the kill)
    expect(crashed.signal, crashed.output).toBe('SIGKILL');
    const committedAtCrash = await committed();
    expect(committedAtCrash).toBeLessThan(EVENTS);

    // second run: Kafka redelivers from the last commit; what ClickHouse holds is skipped
    // with other insert sizes, so the redelivered rows do not form the same inserts (and tokens) again
    const restarted = runAggregator({ ...env, AGGREGATOR_FLUSH_ROWS: '1000' });
    await eventually(async () => ((await committed()) === EVENTS ? true : undefined), 60_000, `all ${EVENTS} offsets committed`);
    restarted.kill('SIGTERM');
    const stopped = await restarted.exited;
    expect(stopped.code, stopped.output).toBe(0);

    const clickhouse = createClickHouseClient(config.clickhouse);
    try {
      const db = config.clickhouse.database;
      const [row] = await (
        await clickhouse.query({
          query: `SELECT (SELECT count() FROM ${db}.events_raw) AS raw,
                         (SELECT uniqExact(kafka_partition, kafka_offset) FROM ${db}.events_raw) AS offsets,
                         (SELECT sum(pageviews) FROM ${db}.rollup_1m) AS minute_pageviews,
                         (SELECT sum(pageviews) FROM ${db}.pageviews_1s) AS second_pageviews,
                         (SELECT sum(sessions) FROM ${db}.sessions_1m WHERE dimension = 'entryPage') AS entries,
                         (SELECT ${VISITOR_SKETCH.merge}(visitors) FROM ${db}.rollup_1m) AS visitors,
                         (SELECT sum(sessions) FROM ${db}.sessions_1m WHERE dimension = '') AS sessions,
                         (SELECT sum(sessions) FROM ${db}.sessions_1m WHERE dimension = 'exitPage') AS exits`,
          format: 'JSONEachRow',
        })
      ).json<Record<string, number>>();
      expect(row).toEqual({ raw: EVENTS, offsets: EVENTS, minute_pageviews: EVENTS, second_pageviews: EVENTS, entries: 40, visitors: 40, sessions: 40, exits: 40 });
    } finally {
      await clickhouse.close();
    }
  });
});
