import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@clickstream/logger';

/** One step of the schema: applied once per database, in version order, and recorded in `<db>.schema_migrations`. */
export interface Migration {
  version: number;
  name: string;
  /** Statements for the given database; each is idempotent (IF NOT EXISTS) so a half-applied run can be repeated. */
  statements: (db: string) => string[];
  /** Work that depends on what the database holds, run after the statements; repeatable like them. */
  run?: (client: ClickHouseClient, db: string, logger: Logger) => Promise<void>;
}
