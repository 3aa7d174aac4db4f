import type { Admin, Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { createKafka } from '@clickstream/kafka';
import { createLogger, type Logger } from '@clickstream/logger';
import { CliError } from './cli-error.js';
import { resolveTopic } from './topic-roles.js';

/** The brokers the apps use: KAFKA_BROKERS, or the one `npm start` runs on KAFKA_LOCAL_PORT. The CLI never starts one. */
export function brokersOf(config: AppConfig): string[] {
  return config.kafka.brokers ?? [`127.0.0.1:${config.kafka.local.port}`];
}

export function brokerUnreachable(brokers: readonly string[]): CliError {
  return new CliError(`Kafka broker unreachable at ${brokers.join(',')} (is Clickstream running? set KAFKA_BROKERS)`);
}

export interface PartitionRange {
  partition: number;
  /** First offset still in the log. */
  low: bigint;
  /** Offset the next record will get. */
  high: bigint;
}

/**
 * A connected Kafka admin for one command. Kafka's own logs are silenced: the CLI reports
 * failures itself, in one line. One retry only, so an unreachable broker is told at once.
 */
export class KafkaSession {
  private constructor(
    readonly config: AppConfig,
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly brokers: string[],
  ) {}

  static async open(config: AppConfig, logger: Logger = createLogger('silent')): Promise<KafkaSession> {
    const brokers = brokersOf(config);
    const kafka = createKafka({ brokers, clientId: `${config.kafka.clientId}-cli`, logger, retries: 1 });
    const admin = kafka.admin();
    try {
      await admin.connect();
    } catch {
      await admin.disconnect().catch(() => undefined);
      throw brokerUnreachable(brokers);
    }
    return new KafkaSession(config, kafka, admin, brokers);
  }

  /** The topic a command names (a role or a name), refused with one line when the cluster does not have it. */
  async existingTopic(name: string): Promise<string> {
    const topic = resolveTopic(name, this.config.kafka.topics);
    if (!(await this.admin.listTopics()).includes(topic)) {
      const alias = topic === name ? '' : ` (${name})`;
      throw new CliError(`unknown topic "${topic}"${alias} (clickstream topics list shows the topics)`);
    }
    return topic;
  }

  async partitions(topic: string): Promise<PartitionRange[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) })).sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }
}
