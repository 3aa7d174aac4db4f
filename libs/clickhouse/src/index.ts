export { createClickHouseClient, insertEncoded, type ClickHouseClient, type EncodedInsert } from './clickhouse-client.js';
export { migrate, applyRawRetention, MIGRATIONS, CURRENT_ROLLUP_TABLES, VISITOR_SKETCH, type Migration, type RollupTable, type VisitorSketch } from './migrations.js';
export { toDateTime64 } from './datetime.js';
export { SiteRepository, type Site } from './site.repository.js';
export { SaltRepository } from './salt.repository.js';
export { SecretRepository } from './secret.repository.js';
