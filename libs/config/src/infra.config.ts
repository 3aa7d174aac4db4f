import { z } from 'zod';

export const infraEnv = z.object({
  INFRA: z
    .enum(['local', 'containers'])
    .default('local')
    .describe('What the test setup starts when KAFKA_BROKERS and CLICKHOUSE_URL are unset: local (Maven-fetched broker, embedded chDB) or containers (testcontainers; needs a Docker engine).'),
});

export interface InfraConfig {
  mode: z.infer<typeof infraEnv>['INFRA'];
}

export const toInfraConfig = (env: z.infer<typeof infraEnv>): InfraConfig => ({ mode: env.INFRA });
