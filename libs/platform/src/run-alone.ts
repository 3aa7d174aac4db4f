import type { AppConfig } from '@clickstream/config';
import { createLogger, type Logger } from '@clickstream/logger';
import { loadConfigOrExit, stopOnSignals } from './process-lifecycle.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface StartedApp {
  describe: Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * Entry point of an app run on its own (one container per app): it needs an existing
 * Kafka (KAFKA_BROKERS); `npm start` is the way to get everything in one process.
 */
export function runAlone(name: string, start: (runtime: Runtime) => Promise<StartedApp>, options: RuntimeOptions = {}): void {
  const config = loadConfigOrExit(name);
  const logger = createLogger(config.log.level, name);
  if (!config.kafka.brokers) {
    logger.fatal('KAFKA_BROKERS must be set when this app runs on its own; `npm start` runs all three apps with a local broker');
    process.exit(78);
  }
  void main(name, config, logger, start, options);
}

async function main(name: string, config: AppConfig, logger: Logger, start: (runtime: Runtime) => Promise<StartedApp>, options: RuntimeOptions): Promise<void> {
  let runtime: Runtime | undefined;
  let app: StartedApp | undefined;
  stopOnSignals(logger, async () => {
    await app?.close();
    await runtime?.close();
  });
  try {
    runtime = await createRuntime(config, logger, options);
    app = await start(runtime);
    logger.info({ app: name, ...app.describe }, 'started');
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'start-up failed');
    await runtime?.close().catch(() => undefined);
    process.exit(1);
  }
}
