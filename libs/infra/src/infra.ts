import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { startContainers } from './containers.js';
import { startLocalClickHouse, type RunningClickHouse } from './local-clickhouse.js';
import { startLocalKafka, type RunningKafka } from './local-kafka.js';
import { projectRoot } from './project-root.js';

/**
 * What the project starts so that the apps have a Kafka and a ClickHouse to talk to.
 * The apps never know which: they receive a config whose broker list and ClickHouse URL
 * point at whatever runs (external cluster and server, the local ones, or containers).
 */
export interface RunningInfra {
  config: AppConfig;
  describe: string;
  /** The ClickHouse server this project started on this machine, if it did. */
  localClickHouse: RunningClickHouse | undefined;
  /** The broker this project started on this machine, if it did. */
  localKafka: RunningKafka | undefined;
  /** Starts the local ClickHouse server again on the same port and folder (after it died). */
  restartClickHouse(): Promise<RunningClickHouse>;
  stop(): Promise<void>;
}

/** The ClickHouse server of CLICKHOUSE_LOCAL_PORT and CLICKHOUSE_LOCAL_DATA_DIR. */
function startClickHouseOf(config: AppConfig, logger: Logger, port = config.clickhouse.local.port): Promise<RunningClickHouse> {
  return startLocalClickHouse({
    projectRoot: projectRoot(),
    port,
    dataDir: config.clickhouse.local.dataDir,
    cacheDir: config.kafka.local.cacheDir,
    adoptFolder: config.clickhouse.local.oldEmbeddedPath,
    logger,
  });
}

export async function startInfra(config: AppConfig, logger: Logger): Promise<RunningInfra> {
  const needKafka = config.kafka.brokers === undefined;
  const needClickHouse = config.clickhouse.url === undefined;
  const noRestart = (): Promise<RunningClickHouse> => Promise.reject(new Error('this ClickHouse server was not started by the project'));

  if (config.infra.mode === 'containers' && (needKafka || needClickHouse)) {
    const running = await startContainers(logger);
    return {
      config: {
        ...config,
        kafka: { ...config.kafka, brokers: config.kafka.brokers ?? running.brokers },
        clickhouse: needClickHouse ? { ...config.clickhouse, url: running.clickhouseUrl, user: running.clickhouseUser, password: running.clickhousePassword } : config.clickhouse,
      },
      describe: 'containers (testcontainers)',
      localClickHouse: undefined,
      localKafka: undefined,
      restartClickHouse: noRestart,
      stop: running.stop,
    };
  }

  let localKafka: RunningKafka | undefined;
  let localClickHouse: RunningClickHouse | undefined;
  const stop = async (): Promise<void> => {
    await localClickHouse?.stop();
    await localKafka?.stop();
  };
  try {
    // one after the other: on a first run both wait for the same Maven step
    if (needKafka) {
      localKafka = await startLocalKafka({
        projectRoot: projectRoot(),
        port: config.kafka.local.port,
        controllerPort: config.kafka.local.controllerPort,
        dataDir: config.kafka.local.dataDir,
        cacheDir: config.kafka.local.cacheDir,
        logger,
      });
    }
    if (needClickHouse) localClickHouse = await startClickHouseOf(config, logger);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const clickhousePort = localClickHouse ? Number(new URL(localClickHouse.url).port) : config.clickhouse.local.port;
  return {
    config: {
      ...config,
      kafka: { ...config.kafka, brokers: localKafka?.brokers ?? config.kafka.brokers },
      clickhouse: { ...config.clickhouse, url: localClickHouse?.url ?? config.clickhouse.url },
    },
    describe: [needKafka ? 'local Kafka' : 'external Kafka', needClickHouse ? 'local ClickHouse' : 'external ClickHouse'].join(', '),
    get localClickHouse() {
      return localClickHouse;
    },
    localKafka,
    restartClickHouse: async () => {
      if (!needClickHouse) return noRestart();
      localClickHouse = await startClickHouseOf(config, logger, clickhousePort);
      return localClickHouse;
    },
    stop,
  };
}
