import type { ClickHouseClient } from '@clickhouse/client';

/** A table's columns and their types, in order. */
export async function columnTypes(client: ClickHouseClient, db: string, table: string): Promise<Map<string, string>> {
  const result = await client.query({
    query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String} ORDER BY position`,
    query_params: { db, table },
    format: 'JSONEachRow',
  });
  return new Map((await result.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]));
}
