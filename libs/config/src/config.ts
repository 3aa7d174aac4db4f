import { z } from 'zod';
import { clickhouseEnv, toClickHouseConfig, type ClickHouseConfig } from './clickhouse.config.js';
import { httpEnv, toHttpConfig, type HttpConfig } from './http.config.js';
import { infraEnv, toInfraConfig, type InfraConfig } from './infra.config.js';
import { ingestEnv, toIngestConfig, type IngestConfig } from './ingest.config.js';
import { kafkaEnv, toKafkaConfig, type KafkaConfig } from './kafka.config.js';
import { logEnv, toLogConfig, type LogConfig } from './log.config.js';
import { streamEnv, toStreamConfig, type StreamConfig } from './stream.config.js';

/** Every environment variable any app reads, composed from one schema per concern. */
export const configSchema = z.object({
  ...logEnv.shape,
  ...infraEnv.shape,
  ...kafkaEnv.shape,
  ...clickhouseEnv.shape,
  ...httpEnv.shape,
  ...ingestEnv.shape,
  ...streamEnv.shape,
});

export type ConfigVariable = keyof typeof configSchema.shape;

export interface AppConfig {
  log: LogConfig;
  infra: InfraConfig;
  kafka: KafkaConfig;
  clickhouse: ClickHouseConfig;
  http: HttpConfig;
  ingest: IngestConfig;
  stream: StreamConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; detail: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.detail}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const isSecret = (name: string): boolean => {
  const field = (configSchema.shape as Record<string, z.ZodType>)[name];
  return field !== undefined && z.globalRegistry.get(field)?.['secret'] === true;
};

/**
 * Parses the environment once at start-up. Empty strings count as unset so that
 * `KAFKA_BROKERS=` in a compose file means "use the default".
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): AppConfig {
  const known = Object.keys(configSchema.shape);
  const input: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(config)');
        const raw = input[variable];
        const got = raw === undefined ? 'it is missing' : isSecret(variable) ? 'got a value' : `got "${raw}"`;
        return { variable, detail: `${issue.message}; ${got}` };
      }),
    );
  }
  const v = parsed.data;
  return {
    log: toLogConfig(v),
    infra: toInfraConfig(v),
    kafka: toKafkaConfig(v),
    clickhouse: toClickHouseConfig(v),
    http: toHttpConfig(v),
    ingest: toIngestConfig(v),
    stream: toStreamConfig(v),
  };
}

/** Name, default and description of every variable: the README table and the compose test read it. */
export function describeConfig(): { variable: ConfigVariable; default: string | undefined; description: string; secret: boolean }[] {
  return (Object.entries(configSchema.shape) as [ConfigVariable, z.ZodType][]).map(([variable, schema]) => {
    const probe = schema.safeParse(undefined);
    const value: unknown = probe.success ? probe.data : undefined;
    const def = value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);
    return { variable, default: def, description: schema.description ?? '', secret: isSecret(variable) };
  });
}

/** The environment as it is, for a supervisor to hand to the processes it starts (they parse it themselves). */
export function inheritedEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
