import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { startContainers } from './containers.js';
import { startLocalKafka } from './local-kafka.js';
import { projectRoot } from './project-root.js';

/**
 * What the project starts so that the apps have a Kafka and a ClickHouse to talk to.
 * The apps never know which: they receive a config whose broker list and ClickHouse
 * settings point at whatever runs (external cluster, local broker + chDB, or containers).
 */
export interface RunningInfra {
  config: AppConfig;
  describe: string;
  stop(): Promise<void>;
}

export async function startInfra(config: AppConfig, logger: Logger): Promise<RunningInfra> {
  const needKafka = config.kafka.brokers === undefined;
  const needClickHouse = config.clickhouse.mode === 'embedded';

  if (config.infra.mode === 'containers' && (needKafka || needClickHouse)) {
    const running = await startContainers(logger);
    return {
      config: {
        ...config,
        kafka: { ...config.kafka, brokers: config.kafka.brokers ?? running.brokers },
        clickhouse: needClickHouse
          ? { mode: 'server', url: running.clickhouseUrl, user: running.clickhouseUser, password: running.clickhousePassword, database: config.clickhouse.database }
          : config.clickhouse,
      },
      describe: 'containers (testcontainers)',
      stop: running.stop,
    };
  }

  if (!needKafka) {
    return { config, describe: 'external Kafka', stop: async () => undefined };
  }
  const kafka = await startLocalKafka({
    projectRoot: projectRoot(),
    port: config.kafka.local.port,
    controllerPort: config.kafka.local.controllerPort,
    dataDir: config.kafka.local.dataDir,
    cacheDir: config.kafka.local.cacheDir,
    logger,
  });
  return {
    config: { ...config, kafka: { ...config.kafka, brokers: kafka.brokers } },
    describe: 'local Kafka',
    stop: kafka.stop,
  };
}
