import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';
import { claimPort, projectRoot, startLocalKafkaCluster, type RunningKafkaCluster } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';
import { ownClickHouseEnv } from '../support/own-clickhouse.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { ownKafkaEnv } from '../support/test-system.js';
import { AppProcess, waitForHttp } from './app-process.js';
import { steadyLoad } from './steady-load.js';
import { expectExact, storedSummary } from './stored-tables.js';

const SITES = ['alpha', 'beta'];
const EVENTS = Number(process.env['CLUSTER_EVENTS'] ?? 4000);
const RATE = 100;
const DURATION_S = Math.ceil(EVENTS / RATE);

/**
 * The engine users move to when one machine is not enough: three Kafka brokers (KRaft, one
 * process each), the project's topics replicated three times with min.insync.replicas 2, so a 202
 * (acks=all) means the event is on two brokers at least. Under load the broker leading the most
 * partitions of the events topic is killed with kill -9 and later started again.
 */
describe(`a three-broker Kafka cluster: ${EVENTS} events through kill -9 of the busiest broker`, () => {
  const id = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'clickstream-cluster-'));
  let cluster: RunningKafkaCluster;
  let kafka: Kafka;
  let ingest: AppProcess;
  let aggregator: AppProcess;
  let ingestUrl: string;
  let aggregatorUrl: string;
  let env: Record<string, string>;

  /** The broker that leads the most partitions of a topic, by node id. */
  const busiestLeader = async (topic: string): Promise<number> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const counts = new Map<number, number>();
      for (const p of topics[0]!.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    cluster = await startLocalKafkaCluster({ projectRoot: projectRoot(), nodes: 3, dataDir: dir, cacheDir: join(projectRoot(), '.cache/kafka'), logger: createLogger('warn', 'cluster'), heapMb: 256 });
    kafka = new Kafka({ clientId: `cluster-test-${id}`, brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const ingestPort = await claimPort(0, 'test');
    const aggregatorPort = await claimPort(0, 'test');
    ingestUrl = `http://127.0.0.1:${ingestPort}`;
    aggregatorUrl = `http://127.0.0.1:${aggregatorPort}`;
    env = {
      LOG_LEVEL: 'warn',
      ...ownKafkaEnv(`cluster-${id}`, cluster.brokers.join(',')),
      ...ownClickHouseEnv(`cluster_${id}`),
      KAFKA_REPLICATION_FACTOR: '3',
      BOOTSTRAP_SITES: SITES.join(','),
    };
    ingest = new AppProcess('ingest', { ...env, INGEST_PORT: String(ingestPort), TRUST_PROXY: '1', RATE_LIMIT_BURST: '1000000', RATE_LIMIT_PER_SECOND: '1000000' });
    aggregator = new AppProcess('aggregator', { ...env, AGGREGATOR_PORT: String(aggregatorPort) });
    aggregator.start();
    await waitForHttp(`${aggregatorUrl}/health`, [200], 120_000);
    ingest.start();
    await waitForHttp(`${ingestUrl}/health`, [200], 120_000);
  }, 300_000);

  afterAll(async () => {
    for (const app of [ingest, aggregator]) if (app?.running) await app.stop('SIGKILL');
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the topics with three replicas, two of which must have an event before it is acknowledged', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [env['KAFKA_TOPIC_EVENTS']!] });
      expect(new Set(topics[0]!.partitions.map((p) => p.replicas.length))).toEqual(new Set([3]));
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: env['KAFKA_TOPIC_EVENTS']!, configNames: ['min.insync.replicas'] }] });
      expect(resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });

  it('keeps every acknowledged event through kill -9 of the busiest leader and its return, with no app restarted', async () => {
    const leaderId = await busiestLeader(env['KAFKA_TOPIC_EVENTS']!);
    const killed = cluster.nodes.find((n) => n.id === leaderId)!;
    const faults = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, (DURATION_S * 1000) / 4));
      await killed.kill();
      await new Promise((r) => setTimeout(r, (DURATION_S * 1000) / 3));
      await killed.start();
    };
    const [report] = await Promise.all([
      steadyLoad(`${ingestUrl}/api/collect`, { rate: RATE, durationSeconds: DURATION_S, sites: SITES, seed: 11 }),
      faults(),
    ]);
    // ingest and the aggregator followed the new leaders, and the old one back, without a restart
    expect(ingest.starts).toBe(1);
    expect(aggregator.starts).toBe(1);
    expect(report.events.unacknowledged, ingest.output().split('\n').filter((l) => l.includes('produce failed') || l.includes('replaced')).slice(-8).join('\n')).toBe(0);
    expect(report.acceptedIds.length).toBe(EVENTS);

    const acked = new Set(report.acceptedIds);
    await waitForCommittedEnd(cluster.brokers.join(','), env['KAFKA_TOPIC_EVENTS']!, env['KAFKA_CONSUMER_GROUP']!, 240_000, () => aggregator.output());
    const storage = loadConfig(env).clickhouse;
    const clickhouse = createClickHouseClient(storage);
    try {
      const stored = await storedSummary(clickhouse, storage.database, acked);
      const producerReplaced = ingest.output().split('\n').filter((l) => l.includes('replaced by a new one')).length;
      console.log(`cluster: ${JSON.stringify({ killed: killed.id, producerReplaced, ...stored, missing: stored.missing.length, extra: stored.extra.length, byStatus: report.byStatus, retries: report.requests.retries })}`);
      expectExact(stored);
    } finally {
      await clickhouse.close();
    }
  }, (DURATION_S + 600) * 1000);
});
