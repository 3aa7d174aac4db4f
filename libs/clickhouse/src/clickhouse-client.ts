import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { clickhouseUrlOf, type ClickHouseConfig } from '@clickstream/config';

export type { ClickHouseClient };

/** Settings every query runs with. */
const COMMON_SETTINGS = {
  // 64-bit counts as JSON numbers (the server quotes them by default)
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: 'best_effort',
} as const;

/** Rows already encoded in a line-per-row format, to be inserted as they are. */
export interface EncodedInsert {
  /** Table, database-qualified. */
  table: string;
  /** The columns each row fills, in the order of its values. */
  columns: readonly string[];
  format: 'JSONCompactEachRow' | 'JSONEachRow';
  /** One row per line. */
  body: Buffer;
  settings?: Record<string, string | number>;
  /** The id the server lists the insert under in system.processes while it runs. */
  queryId?: string;
}

/** A ClickHouse server over HTTP, the one the project started or CLICKHOUSE_URL's: the same client in every mode. */
export function createClickHouseClient(config: ClickHouseConfig): ClickHouseClient {
  return createClient({
    url: clickhouseUrlOf(config),
    username: config.user,
    password: config.password,
    clickhouse_settings: COMMON_SETTINGS,
    request_timeout: 30_000,
  });
}

/** Inserts rows the caller has already encoded: the bytes are the body of the HTTP INSERT, as they are. */
export async function insertEncoded(client: ClickHouseClient, insert: EncodedInsert): Promise<void> {
  const result = await client.exec({
    query: `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) FORMAT ${insert.format}`,
    values: Readable.from([insert.body]),
    clickhouse_settings: insert.settings,
    ...(insert.queryId === undefined ? {} : { query_id: insert.queryId }),
  });
  // the answer to an INSERT is empty; reading it to the end releases the connection
  await finished(result.stream.resume());
}
