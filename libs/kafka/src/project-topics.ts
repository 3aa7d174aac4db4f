import type { KafkaConfig } from '@clickstream/config';
import type { TopicSpec } from './topic-admin.js';

const HOUR_MS = 3_600_000;

/**
 * The topics every mode creates at start-up, with the configured partition counts. The site list
 * and the daily salts are tables kept in Kafka, so ingest needs no database to accept a hit: the
 * sites topic is compacted (the latest record of each site stays for ever), the salts topic
 * deletes each salt 48 h after it was drawn (segments of one hour, so none lingers much longer).
 */
export function projectTopics(kafka: KafkaConfig): TopicSpec[] {
  // with acks=all, a write (a 202) needs this many copies: 2 of 3 replicas survives the loss of
  // one broker without losing an acknowledged event; a single broker needs only itself
  const minInSync = { 'min.insync.replicas': String(Math.max(1, Math.min(2, kafka.replicationFactor - 1))) };
  const topics: TopicSpec[] = [
    { topic: kafka.topics.events, partitions: kafka.partitions.events, replicationFactor: kafka.replicationFactor },
    { topic: kafka.topics.aggregates, partitions: kafka.partitions.aggregates, replicationFactor: kafka.replicationFactor, config: { 'retention.ms': String(24 * HOUR_MS) } },
    { topic: kafka.topics.deadLetter, partitions: kafka.partitions.aggregates, replicationFactor: kafka.replicationFactor },
    { topic: kafka.topics.sites, partitions: 1, replicationFactor: kafka.replicationFactor, config: { 'cleanup.policy': 'compact' } },
    { topic: kafka.topics.salts, partitions: 1, replicationFactor: kafka.replicationFactor, config: { 'cleanup.policy': 'delete', 'retention.ms': String(48 * HOUR_MS), 'segment.ms': String(HOUR_MS) } },
  ];
  return topics.map((t) => ({ ...t, config: { ...minInSync, ...t.config } }));
}
