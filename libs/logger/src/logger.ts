import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';

export type Logger = PinoLogger;

/**
 * One structured JSON line per event worth knowing. Secrets never reach a log line:
 * the redact list covers the names our config and requests use for them.
 */
export function createLogger(level: LevelWithSilent, name = 'clickstream'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'salt', '*.salt', 'ip', '*.ip', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}
