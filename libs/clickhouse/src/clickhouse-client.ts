import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { ClickHouseConfig } from '@clickstream/config';

export type { ClickHouseClient };

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/** Settings every query runs with, identical for the embedded engine and a server. */
const COMMON_SETTINGS = {
  // 64-bit counts as JSON numbers in both backends (the server quotes them by default)
  output_format_json_quote_64bit_integers: 0,
  date_time_input_format: 'best_effort',
} as const;

/**
 * One client type for both modes: a ClickHouse server over HTTP, or the ClickHouse engine
 * in-process (chDB) plugged into the same @clickhouse/client API. Callers cannot tell which.
 */
export function createClickHouseClient(config: ClickHouseConfig): ClickHouseClient {
  if (config.mode === 'server') {
    return createClient({
      url: config.url,
      username: config.user,
      password: config.password,
      clickhouse_settings: COMMON_SETTINGS,
      request_timeout: 30_000,
    });
  }
  const path = resolve(config.path);
  mkdirSync(path, { recursive: true });
  // chdb types its connection against @clickhouse/client-common, which @clickhouse/client
  // now bundles as its own copy: same shape, two declarations.
  const connection = createChdbConnection({ path }) as unknown as ClientConnection;
  return createClient({ connection, clickhouse_settings: COMMON_SETTINGS });
}
