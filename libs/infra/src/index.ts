export { startInfra, startClickHouseOf, type RunningInfra } from './infra.js';
export { startLocalKafka, type LocalKafkaOptions, type RunningKafka } from './local-kafka.js';
export { ensureKafkaJars, KAFKA_VERSION, JNA_VERSION } from './kafka-jars.js';
export { claimPort, PortTakenError } from './ports.js';
export { projectRoot } from './project-root.js';
export { startLocalClickHouse, libchdbPath, type LocalClickHouseOptions, type RunningClickHouse } from './local-clickhouse.js';
