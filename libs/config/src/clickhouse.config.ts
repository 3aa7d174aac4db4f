import { z } from 'zod';
import { httpUrl, port, secret } from './env.js';

export const clickhouseEnv = z.object({
  CLICKHOUSE_URL: httpUrl()
    .optional()
    .describe('URL of a ClickHouse server (HTTP interface). Unset: the project starts its own (the ClickHouse engine of the chdb package) on CLICKHOUSE_LOCAL_PORT.'),
  CLICKHOUSE_USER: z.string().min(1).default('default').describe('ClickHouse user.'),
  CLICKHOUSE_PASSWORD: secret(z.string().default('')).describe('ClickHouse password.'),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'expected a database name: letters, digits and "_"' })
    .default('clickstream')
    .describe('Database holding the Clickstream tables; created at start-up.'),
  CLICKHOUSE_LOCAL_PORT: port().default(8123).describe('HTTP port of the ClickHouse server the project starts itself, on 127.0.0.1 only (0 picks a free one).'),
  CLICKHOUSE_LOCAL_DATA_DIR: z.string().min(1).default('.data/clickhouse').describe('Data folder of the ClickHouse server the project starts itself.'),
  CHDB_PATH: z
    .string()
    .min(1)
    .default('.data/chdb')
    .describe('Data folder of the in-process engine of earlier versions: moved to CLICKHOUSE_LOCAL_DATA_DIR on the first start that finds no data there.'),
  CLICKHOUSE_MIGRATE: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('true')
    .transform((v) => v === 'true')
    .describe('Whether an app brings the schema up to date at start-up. `npm start` migrates once before the apps start and sets it to false for them.'),
});

export interface ClickHouseConfig {
  /** Undefined when the project runs its own server (on local.port). */
  url: string | undefined;
  user: string;
  password: string;
  database: string;
  migrate: boolean;
  local: { port: number; dataDir: string; oldEmbeddedPath: string };
}

export const toClickHouseConfig = (env: z.infer<typeof clickhouseEnv>): ClickHouseConfig => ({
  url: env.CLICKHOUSE_URL,
  user: env.CLICKHOUSE_USER,
  password: env.CLICKHOUSE_PASSWORD,
  database: env.CLICKHOUSE_DATABASE,
  migrate: env.CLICKHOUSE_MIGRATE,
  local: { port: env.CLICKHOUSE_LOCAL_PORT, dataDir: env.CLICKHOUSE_LOCAL_DATA_DIR, oldEmbeddedPath: env.CHDB_PATH },
});

/** The server the apps use: CLICKHOUSE_URL, or the one `npm start` runs on CLICKHOUSE_LOCAL_PORT. */
export const clickhouseUrlOf = (config: ClickHouseConfig): string => config.url ?? `http://127.0.0.1:${config.local.port}`;
