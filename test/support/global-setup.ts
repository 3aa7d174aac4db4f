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

/**
 * One Kafka broker for the whole run, on free ports and a throw-away data folder, so the
 * suite passes while a development instance runs. KAFKA_BROKERS points the suite at an
 * existing cluster instead; INFRA=containers starts Kafka and ClickHouse with testcontainers.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // the compiled apps (dist/): tests that run them as processes (crash, bench), the tracker script and
  // the dashboard bundle (scripts/build-dashboard.mjs, which the gateway serves and refuses to start without)
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: projectRoot(), stdio: ['ignore', 'ignore', 'inherit'] });
  const config = loadConfig();
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level, 'test-infra');
  if (config.kafka.brokers) {
    project.provide('kafkaBrokers', config.kafka.brokers.join(','));
    project.provide('clickhouseUrl', config.clickhouse.mode === 'server' ? config.clickhouse.url : '');
    return async () => undefined;
  }
  if (config.infra.mode === 'containers') {
    const { startContainers } = await import('../../libs/infra/src/containers.js');
    const running = await startContainers(logger);
    project.provide('kafkaBrokers', running.brokers.join(','));
    project.provide('clickhouseUrl', running.clickhouseUrl);
    return running.stop;
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
  project.provide('kafkaBrokers', kafka.brokers.join(','));
  project.provide('clickhouseUrl', config.clickhouse.mode === 'server' ? config.clickhouse.url : '');
  return async () => {
    await kafka.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
