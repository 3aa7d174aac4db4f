import type { KafkaConfig } from '@clickstream/config';
import type { TopicSpec } from './topic-admin.js';

/** The three topics every mode creates at start-up, with the configured partition counts. */
export function projectTopics(kafka: KafkaConfig): TopicSpec[] {
  return [
    { topic: kafka.topics.events, partitions: kafka.partitions.events, replicationFactor: kafka.replicationFactor },
    { topic: kafka.topics.aggregates, partitions: kafka.partitions.aggregates, replicationFactor: kafka.replicationFactor, config: { 'retention.ms': String(24 * 3600 * 1000) } },
    { topic: kafka.topics.deadLetter, partitions: kafka.partitions.aggregates, replicationFactor: kafka.replicationFactor },
  ];
}
