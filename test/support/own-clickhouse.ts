import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createClickHouseClient, type ClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig, type ClickHouseConfig } from '@clickstream/config';

/** ClickHouse settings of a test's own: the run's server and a database named `name`. */
export function ownClickHouseEnv(database: string): Record<string, string> {
  return { CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: database };
}

/** A ClickHouse config of a test's own (the run's server, a database named `<prefix>_<random>`), for specs that use the adapter alone. */
export function testClickHouseConfig(prefix: string): ClickHouseConfig {
  return loadConfig(ownClickHouseEnv(`${prefix}_${randomUUID().slice(0, 8)}`)).clickhouse;
}


/** A client of the run's ClickHouse server, for specs that name their databases themselves: those are dropped first. */
export async function clickhouseWithFreshDatabases(...databases: string[]): Promise<ClickHouseClient> {
  const client = createClickHouseClient(loadConfig(ownClickHouseEnv(databases[0] ?? 'default')).clickhouse);
  for (const database of databases) await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  return client;
}
