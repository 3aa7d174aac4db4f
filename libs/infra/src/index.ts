export { startInfra, type RunningInfra } from './infra.js';
export { startLocalKafka, type LocalKafkaOptions, type RunningKafka } from './local-kafka.js';
export { ensureKafkaJars, KAFKA_VERSION } from './kafka-jars.js';
export { claimPort, PortTakenError } from './ports.js';
export { projectRoot } from './project-root.js';
export { startLocalClickHouse, type LocalClickHouseOptions, type RunningClickHouse } from './local-clickhouse.js';
export { startLocalKafkaCluster, type ClusterNode, type LocalKafkaClusterOptions, type RunningKafkaCluster } from './local-kafka-cluster.js';
