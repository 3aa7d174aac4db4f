import { z } from 'zod';
import { int, port, topicName } from './env.js';

const brokerList = z
  .string()
  .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b.length > 0))
  .pipe(
    z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, { error: 'expected host:port' }))
      .min(1, { error: 'expected at least one host:port' }),
  );

export const kafkaEnv = z.object({
  KAFKA_BROKERS: brokerList
    .optional()
    .describe('Comma-separated host:port list of an existing Kafka cluster. Unset: the project starts its own broker (Apache Kafka 3.9, KRaft).'),
  KAFKA_CLIENT_ID: z.string().min(1).default('clickstream').describe('Client id sent to Kafka, prefixed to each app.'),
  KAFKA_TOPIC_EVENTS: topicName().default('clickstream.events').describe('Topic of accepted tracker events.'),
  KAFKA_TOPIC_AGGREGATES: topicName().default('clickstream.aggregates').describe('Topic of window updates, read by the gateway.'),
  KAFKA_TOPIC_DEAD_LETTER: topicName().default('clickstream.dead-letter').describe('Topic of rejected events with the reason.'),
  KAFKA_TOPIC_SITES: topicName().default('clickstream.sites').describe('Compacted topic of the site list, read by every ingest process.'),
  KAFKA_TOPIC_SALTS: topicName().default('clickstream.salts').describe('Topic of the daily visitor-id salts (kept 48 h), shared by every ingest process.'),
  KAFKA_EVENTS_PARTITIONS: int(1, 1000).default(6).describe('Partitions of the events topic when the project creates it.'),
  KAFKA_AGGREGATES_PARTITIONS: int(1, 1000).default(3).describe('Partitions of the aggregates and dead-letter topics when created.'),
  KAFKA_REPLICATION_FACTOR: int(1, 10).default(1).describe('Replication factor of created topics.'),
  KAFKA_CONSUMER_GROUP: z.string().min(1).default('clickstream-aggregator').describe('Consumer group of the aggregator.'),
  KAFKA_LOCAL_PORT: port().default(9092).describe('Port of the broker the project starts itself (0 picks a free one).'),
  KAFKA_LOCAL_CONTROLLER_PORT: port().default(9093).describe('KRaft controller port of that broker (0 picks a free one).'),
  KAFKA_LOCAL_DATA_DIR: z.string().min(1).default('.data/kafka').describe('Log directory of the broker the project starts itself.'),
  KAFKA_LOCAL_CACHE_DIR: z.string().min(1).default('.cache/kafka').describe('Where the broker jars fetched with Maven are kept.'),
  PRODUCE_TIMEOUT_MS: int(100, 60_000).default(2000).describe('Longest wait for Kafka to acknowledge an event before the collect endpoint answers 503.'),
  PRODUCE_LINGER_MS: int(0, 1000).default(5).describe('How long concurrent requests are gathered into one produce call, and the least time between two produce calls of one ingest process.'),
  PRODUCE_MAX_BATCH: int(1, 100_000).default(1000).describe('Most events in one produce call.'),
});

export interface KafkaConfig {
  /** Undefined when the project runs its own broker. */
  brokers: string[] | undefined;
  clientId: string;
  topics: { events: string; aggregates: string; deadLetter: string; sites: string; salts: string };
  partitions: { events: number; aggregates: number };
  replicationFactor: number;
  consumerGroup: string;
  local: { port: number; controllerPort: number; dataDir: string; cacheDir: string };
  producer: { timeoutMs: number; lingerMs: number; maxBatch: number };
}

export const toKafkaConfig = (env: z.infer<typeof kafkaEnv>): KafkaConfig => ({
  brokers: env.KAFKA_BROKERS,
  clientId: env.KAFKA_CLIENT_ID,
  topics: { events: env.KAFKA_TOPIC_EVENTS, aggregates: env.KAFKA_TOPIC_AGGREGATES, deadLetter: env.KAFKA_TOPIC_DEAD_LETTER, sites: env.KAFKA_TOPIC_SITES, salts: env.KAFKA_TOPIC_SALTS },
  partitions: { events: env.KAFKA_EVENTS_PARTITIONS, aggregates: env.KAFKA_AGGREGATES_PARTITIONS },
  replicationFactor: env.KAFKA_REPLICATION_FACTOR,
  consumerGroup: env.KAFKA_CONSUMER_GROUP,
  local: {
    port: env.KAFKA_LOCAL_PORT,
    controllerPort: env.KAFKA_LOCAL_CONTROLLER_PORT,
    dataDir: env.KAFKA_LOCAL_DATA_DIR,
    cacheDir: env.KAFKA_LOCAL_CACHE_DIR,
  },
  producer: { timeoutMs: env.PRODUCE_TIMEOUT_MS, lingerMs: env.PRODUCE_LINGER_MS, maxBatch: env.PRODUCE_MAX_BATCH },
});
