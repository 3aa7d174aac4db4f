import type { AppConfig } from '@clickstream/config';
import { createLogger, type Logger } from '@clickstream/logger';
import { loadConfigOrExit, stopOnSignals } from './process-lifecycle.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface StartedApp {
  describe: Record<string, unknown>;
  /** What a supervisor is told once the app is up (its URL, links to print); never logged. */
  announce?(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** What a supervised app sends its supervisor over the IPC channel once it is up. */
export interface ReadyMessage {
  type: 'ready';
  app: string;
  details: Record<string, unknown>;
}

/** How long an app whose supervisor vanished may take to stop before it exits anyway. */
const ORPHAN_STOP_MS = 6000;

/**
 * Entry point of an app run as a process of its own: by `npm start`'s supervisor (over an IPC
 * channel) or alone, in a container. It needs an existing Kafka (KAFKA_BROKERS) and ClickHouse.
 * Supervised, it stops on SIGTERM from its supervisor (Ctrl-C reaches the supervisor, which stops
 * the apps in order) or when the supervisor goes away, even by kill -9.
 */
export function runAlone(name: string, start: (runtime: Runtime) => Promise<StartedApp>, options: RuntimeOptions = {}): void {
  const config = loadConfigOrExit(name);
  const logger = createLogger(config.log.level, name);
  if (!config.kafka.brokers || !config.clickhouse.url) {
    logger.fatal('KAFKA_BROKERS and CLICKHOUSE_URL must be set when this app runs on its own; `npm start` runs every app with a local broker and ClickHouse server');
    process.exit(78);
  }
  void main(name, config, logger, start, options);
}

async function main(name: string, config: AppConfig, logger: Logger, start: (runtime: Runtime) => Promise<StartedApp>, options: RuntimeOptions): Promise<void> {
  let runtime: Runtime | undefined;
  let app: StartedApp | undefined;
  const supervised = typeof process.send === 'function';
  const stop = stopOnSignals(
    logger,
    async () => {
      await app?.close();
      await runtime?.close();
    },
    supervised ? ['SIGTERM'] : ['SIGINT', 'SIGTERM'],
  );
  if (supervised) {
    // Ctrl-C in a terminal reaches the whole process group: the supervisor decides the order
    process.on('SIGINT', () => undefined);
    process.once('disconnect', () => {
      setTimeout(() => process.exit(1), ORPHAN_STOP_MS).unref();
      stop('supervisor gone');
    });
  }
  try {
    runtime = await createRuntime(config, logger, options);
    app = await start(runtime);
    logger.info({ app: name, ...app.describe }, 'started');
    if (supervised) {
      const message: ReadyMessage = { type: 'ready', app: name, details: (await app.announce?.()) ?? {} };
      process.send?.(message);
    }
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'start-up failed');
    await runtime?.close().catch(() => undefined);
    process.exit(1);
  }
}
