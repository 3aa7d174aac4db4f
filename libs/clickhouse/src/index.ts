export { createClickHouseClient, insertEncoded, type ClickHouseClient, type EncodedInsert } from './clickhouse-client.js';
export { migrate, applyRawRetention, MIGRATIONS, CURRENT_ROLLUP_TABLES, type Migration, type RollupTable } from './migrations.js';
export { toDateTime64 } from './datetime.js';
export { SiteRepository, type Site } from './site.repository.js';
export { SaltRepository } from './salt.repository.js';
export { SecretRepository } from './secret.repository.js';
