import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@clickstream/logger';
import type { Migration } from './migration.js';
import { MIGRATIONS } from './migrations.js';

/** Applies the migrations not yet recorded in `<db>.schema_migrations`, in order. */
export async function migrate(client: ClickHouseClient, database: string, logger: Logger, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rows = await (await client.query({ query: `SELECT DISTINCT version FROM ${database}.schema_migrations`, format: 'JSONEachRow' })).json<{ version: number }>();
  const applied = new Set(rows.map((r) => Number(r.version)));
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    for (const statement of m.statements(database)) await client.command({ query: statement });
    await m.run?.(client, database, logger);
    await client.insert({ table: `${database}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    logger.info({ version: m.version, migration: m.name }, 'ClickHouse migration applied');
    done.push(m.version);
  }
  return done;
}
