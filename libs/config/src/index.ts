export { loadConfig, describeConfig, configSchema, ConfigError, inheritedEnvironment, type AppConfig, type ConfigVariable } from './config.js';
export type { KafkaConfig } from './kafka.config.js';
export { clickhouseUrlOf, type ClickHouseConfig } from './clickhouse.config.js';
export { publicIngestUrlOf, type HttpConfig } from './http.config.js';
export type { LogConfig } from './log.config.js';
export type { StreamConfig } from './stream.config.js';
export type { InfraConfig } from './infra.config.js';
export type { IngestConfig } from './ingest.config.js';
