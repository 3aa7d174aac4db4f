export { createKafka } from './kafka-client.js';
export { TopicAdmin, type TopicSpec } from './topic-admin.js';
export { EventProducer, ProduceError, type OutgoingMessage, type EventProducerOptions } from './event-producer.js';
export { BatchConsumer, type BatchConsumerOptions, type BatchHandler, type BatchOutcome, type ConsumedBatch, type ConsumedMessage } from './batch-consumer.js';
export { projectTopics } from './project-topics.js';
export { ConsumerLag, type PartitionLag } from './consumer-lag.js';
export { TopicTables, type KeepRule, type TopicTablesOptions } from './topic-table.js';
