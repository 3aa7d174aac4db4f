import type { AppConfig, KafkaConfig } from '@clickstream/config';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import type { Runtime } from '@clickstream/platform';
import type { BenchContext } from './bench-context.js';

/**
 * A runtime for one more app instance in this process, on the running system's broker and
 * ClickHouse server (sharing its client), with its own config (its own topics, group, database
 * or emit interval).
 * The app is the real one (startAggregator, startGateway); only its inputs differ.
 */
export async function extraRuntime(ctx: BenchContext, config: AppConfig): Promise<Runtime> {
  const kafka = createKafka({ brokers: config.kafka.brokers ?? [], clientId: config.kafka.clientId, logger: ctx.logger });
  await ensureTopics(ctx, config.kafka);
  return { config, logger: ctx.logger, kafka, clickhouse: ctx.system.clickhouse, kafkaPrepared: () => true, close: async () => undefined };
}

/** The events, aggregates and dead-letter topics of `kafka` (as the apps create them at start-up). */
export async function ensureTopics(ctx: BenchContext, kafka: KafkaConfig): Promise<void> {
  await new TopicAdmin(ctx.kafka, ctx.logger).ensureTopics(projectTopics(kafka));
}
