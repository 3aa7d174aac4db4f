import { ConfigError, loadConfig, type AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';

/** Reads the config once; a bad variable ends the process with its message (exit 78, EX_CONFIG). */
export function loadConfigOrExit(name: string): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

/**
 * Runs `stop` once on one of the signals (SIGINT and SIGTERM unless told), then exits 0, or 1
 * when stopping failed. Returns the same stop for other reasons, with the reason logged.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): (reason: string) => void {
  let stopping = false;
  const handle = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped, nothing left running');
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ err: err.message }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, () => handle(signal));
  return handle;
}
