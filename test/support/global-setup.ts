import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@clickstream/config';
import { projectRoot, startLocalClickHouse, startLocalKafka, type RunningClickHouse, type RunningKafka } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    clickhouseUrl: string;
  }
}

/** What the run's tests reach: brokers, a ClickHouse server URL, and how to stop them. */
interface Infra {
  kafkaBrokers: string;
  clickhouseUrl: string;
  stop: () => Promise<void>;
}

/**
 * Each test project (see vitest.config.ts) calls this setup; the first call builds and starts the
 * infrastructure, kept on globalThis (every project loads this module apart, in the one main
 * process), and the last teardown stops it.
 */
const shared = globalThis as typeof globalThis & { clickstreamInfra?: { ready: Promise<Infra>; users: number } };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const entry = (shared.clickstreamInfra ??= { ready: startInfra(), users: 0 });
  entry.users += 1;
  const infra = await entry.ready;
  project.provide('kafkaBrokers', infra.kafkaBrokers);
  project.provide('clickhouseUrl', infra.clickhouseUrl);
  return async () => {
    entry.users -= 1;
    if (entry.users === 0) {
      delete shared.clickstreamInfra;
      await infra.stop();
    }
  };
}

/**
 * One Kafka broker and one ClickHouse server for the whole run, on free ports and throw-away
 * data folders, so the suite passes while a development instance runs; each test file takes
 * topics and a database of its own. KAFKA_BROKERS and CLICKHOUSE_URL point the suite at an
 * existing cluster and server instead; INFRA=containers starts both with testcontainers.
 */
async function startInfra(): Promise<Infra> {
  // the compiled apps (dist/): tests that run them as processes (crash, bench), the tracker script and
  // the dashboard bundle (scripts/build-dashboard.mjs, which the gateway serves and refuses to start without)
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot(), stdio: ['ignore', 'ignore', 'inherit'] });
  const config = loadConfig();
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, 'test-infra');
  if (config.infra.mode === 'containers' && (!config.kafka.brokers || !config.clickhouse.url)) {
    const { startContainers } = await import('../../libs/infra/src/containers.js');
    const running = await startContainers(logger);
    return { kafkaBrokers: running.brokers.join(','), clickhouseUrl: running.clickhouseUrl, stop: running.stop };
  }
  const root = projectRoot();
  const cacheDir = join(root, config.kafka.local.cacheDir);
  const folders: string[] = [];
  let kafka: RunningKafka | undefined;
  let clickhouse: RunningClickHouse | undefined;
  const stop = async (): Promise<void> => {
    await clickhouse?.stop();
    await kafka?.stop();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!config.kafka.brokers) {
      const dataDir = mkdtempSync(join(tmpdir(), 'clickstream-kafka-'));
      folders.push(dataDir);
      kafka = await startLocalKafka({ projectRoot: root, port: 0, controllerPort: 0, dataDir, cacheDir, logger, heapMb: 768 });
    }
    if (!config.clickhouse.url) {
      const dataDir = mkdtempSync(join(tmpdir(), 'clickstream-clickhouse-'));
      folders.push(dataDir);
      clickhouse = await startLocalClickHouse({ projectRoot: root, port: 0, dataDir, cacheDir, logger });
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    kafkaBrokers: (kafka?.brokers ?? config.kafka.brokers ?? []).join(','),
    clickhouseUrl: clickhouse?.url ?? config.clickhouse.url ?? '',
    stop,
  };
}
