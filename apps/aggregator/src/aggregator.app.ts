import { createHttpApp, listen, type Runtime, type StartedApp } from '@clickstream/platform';
import { AggregatorModule } from './aggregator.module.js';
import { EventsConsumer } from './consumer/events.consumer.js';

export interface StartedAggregator extends StartedApp {
  url: string;
  /** Resolves once the consumer joined its group. */
  ready(): Promise<void>;
}

/** The stream processor, with a small HTTP server for /metrics and /health. */
export async function startAggregator(runtime: Runtime): Promise<StartedAggregator> {
  const { config } = runtime;
  const logger = runtime.logger.child({ app: 'aggregator' });
  const app = await createHttpApp(AggregatorModule.forRuntime({ ...runtime, logger }), logger);
  const port = await listen(app, config.http.aggregatorPort, config.http.host, 'AGGREGATOR_PORT');
  const consumer = app.get(EventsConsumer);
  const url = `http://${config.http.host}:${port}`;
  return {
    url,
    describe: { aggregator: config.kafka.consumerGroup, metrics: `${url}/metrics` },
    ready: () => consumer.ready(),
    announce: async () => {
      await consumer.ready();
      return { url, port };
    },
    close: () => app.close(),
  };
}
