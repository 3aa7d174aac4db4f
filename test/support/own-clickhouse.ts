import { inject } from 'vitest';
import { createClickHouseClient, type ClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';

/** ClickHouse settings of a test's own: the run's server and a database named `name`. */
export function ownClickHouseEnv(database: string): Record<string, string> {
  return { CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: database };
}

/** A client of the run's ClickHouse server, for specs that name their databases themselves: those are dropped first. */
export async function clickhouseWithFreshDatabases(...databases: string[]): Promise<ClickHouseClient> {
  const client = createClickHouseClient(loadConfig(ownClickHouseEnv(databases[0] ?? 'default')).clickhouse);
  for (const database of databases) await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  return client;
}
