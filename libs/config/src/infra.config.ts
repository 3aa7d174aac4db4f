import { z } from 'zod';
import { int } from './env.js';

export const infraEnv = z.object({
  INFRA: z
    .enum(['local', 'containers'])
    .default('local')
    .describe('What is started when KAFKA_BROKERS and CLICKHOUSE_URL are unset: local (a Maven-fetched broker and a ClickHouse server from the chdb package) or containers (testcontainers; needs a Docker engine).'),
  INGEST_PROCESSES: int(0, 256)
    .default(0)
    .describe('Ingest processes `npm start` runs, sharing INGEST_PORT (0: one per core).'),
});

export interface InfraConfig {
  mode: z.infer<typeof infraEnv>['INFRA'];
  /** 0 means one per core. */
  ingestProcesses: number;
}

export const toInfraConfig = (env: z.infer<typeof infraEnv>): InfraConfig => ({ mode: env.INFRA, ingestProcesses: env.INGEST_PROCESSES });
