import type { Logger } from '@clickstream/logger';

export interface RunningContainers {
  brokers: string[];
  clickhouseUrl: string;
  clickhouseUser: string;
  clickhousePassword: string;
  stop(): Promise<void>;
}

/** Kafka 3.9 (Confluent 7.9 image, KRaft) and ClickHouse server in containers; needs a Docker engine. */
export async function startContainers(logger: Logger): Promise<RunningContainers> {
  const [{ KafkaContainer }, { ClickHouseContainer }] = await Promise.all([import('@testcontainers/kafka'), import('@testcontainers/clickhouse')]);
  logger.info('starting Kafka and ClickHouse containers (testcontainers)');
  const [kafka, clickhouse] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start(),
    new ClickHouseContainer('clickhouse/clickhouse-server:25.8').start(),
  ]);
  return {
    brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    clickhouseUrl: clickhouse.getHttpUrl(),
    clickhouseUser: clickhouse.getUsername(),
    clickhousePassword: clickhouse.getPassword(),
    stop: async () => {
      await Promise.all([kafka.stop(), clickhouse.stop()]);
    },
  };
}
