import { z } from 'zod';
import { httpUrl, secret } from './env.js';

export const clickhouseEnv = z.object({
  CLICKHOUSE_URL: httpUrl()
    .optional()
    .describe('URL of a ClickHouse server (HTTP interface). Unset: the embedded engine (chDB) in the app process.'),
  CLICKHOUSE_USER: z.string().min(1).default('default').describe('ClickHouse user (server mode).'),
  CLICKHOUSE_PASSWORD: secret(z.string().default('')).describe('ClickHouse password (server mode).'),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'expected a database name: letters, digits and "_"' })
    .default('clickstream')
    .describe('Database holding the Clickstream tables; created at start-up.'),
  CHDB_PATH: z.string().min(1).default('.data/chdb').describe('Data folder of the embedded engine. One folder belongs to one process.'),
});

export type ClickHouseConfig =
  | { mode: 'server'; url: string; user: string; password: string; database: string }
  | { mode: 'embedded'; path: string; database: string };

export const toClickHouseConfig = (env: z.infer<typeof clickhouseEnv>): ClickHouseConfig =>
  env.CLICKHOUSE_URL
    ? { mode: 'server', url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE }
    : { mode: 'embedded', path: env.CHDB_PATH, database: env.CLICKHOUSE_DATABASE };
