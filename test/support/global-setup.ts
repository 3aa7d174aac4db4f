import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@clickstream/config';
import { projectRoot, startLocalKafka, type RunningKafka } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    clickhouseUrl: string;
  }
}

/** What the run's tests reach: brokers, a ClickHouse server URL ('' for the embedded engine), and how to stop them. */
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
 * One Kafka broker for the whole run, on free ports and a throw-away data folder, so the
 * suite passes while a development instance runs. KAFKA_BROKERS points the suite at an
 * existing cluster instead; INFRA=containers starts Kafka and ClickHouse with testcontainers.
 */
async function startInfra(): Promise<Infra> {
  // the compiled apps (dist/): tests that run them as processes (crash, bench), the tracker script and
  // the dashboard bundle (scripts/build-dashboard.mjs, which the gateway serves and refuses to start without)
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot(), stdio: ['ignore', 'ignore', 'inherit'] });
  const config = loadConfig();
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, 'test-infra');
  if (config.kafka.brokers) {
    return { kafkaBrokers: config.kafka.brokers.join(','), clickhouseUrl: config.clickhouse.mode === 'server' ? config.clickhouse.url : '', stop: async () => undefined };
  }
  if (config.infra.mode === 'containers') {
    const { startContainers } = await import('../../libs/infra/src/containers.js');
    const running = await startContainers(logger);
    return { kafkaBrokers: running.brokers.join(','), clickhouseUrl: running.clickhouseUrl, stop: running.stop };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'clickstream-kafka-'));
  const root = projectRoot();
  const kafka: RunningKafka = await startLocalKafka({
    projectRoot: root,
    port: 0,
    controllerPort: 0,
    dataDir,
    cacheDir: join(root, config.kafka.local.cacheDir),
    logger,
    heapMb: 768,
  });
  return {
    kafkaBrokers: kafka.brokers.join(','),
    clickhouseUrl: config.clickhouse.mode === 'server' ? config.clickhouse.url : '',
    stop: async () => {
      await kafka.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
