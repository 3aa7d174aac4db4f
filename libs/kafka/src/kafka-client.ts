import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@clickstream/logger';
import { stopIdleRequestQueueLoop } from './request-queue-idle.js';

// kafkajs logs every retriable broker answer (coordinator loading, leader moved) as ERROR;
// failures that matter surface as rejected calls, which the apps log themselves.
const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs into our pino stream; its INFO is chatty (joins, rebalances) and goes to debug. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      const target = levels[level] ?? 'info';
      logger[target === 'info' ? 'debug' : target]({ kafka: rest }, message);
    };
}

export function createKafka(options: { brokers: string[]; clientId: string; logger: Logger; retries?: number }): Kafka {
  if (!stopIdleRequestQueueLoop()) options.logger.warn('kafkajs is not the version whose idle timer loop this project stops (2.2.4): idle processes may wake every millisecond');
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: options.retries ?? 8, maxRetryTime: 5000 },
  });
}
