import { NestFactory } from '@nestjs/core';
import { NestPinoLogger } from '@clickstream/logger';
import type { Runtime, StartedApp } from '@clickstream/platform';
import { AggregatorModule } from './aggregator.module.js';
import { EventsConsumer } from './consumer/events.consumer.js';

export interface StartedAggregator extends StartedApp {
  /** Resolves once the consumer joined its group. */
  ready(): Promise<void>;
}

/** The aggregator needs no HTTP server: a Nest application context runs its consumer. */
export async function startAggregator(runtime: Runtime): Promise<StartedAggregator> {
  const logger = runtime.logger.child({ app: 'aggregator' });
  const app = await NestFactory.createApplicationContext(AggregatorModule.forRuntime({ ...runtime, logger }), {
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  await app.init();
  const consumer = app.get(EventsConsumer);
  return {
    describe: { aggregator: runtime.config.kafka.consumerGroup },
    ready: () => consumer.ready(),
    close: () => app.close(),
  };
}
