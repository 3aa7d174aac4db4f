import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type Runtime } from '@clickstream/platform';
import { AggregationService } from './consumer/aggregation.service.js';
import { EventsConsumer } from './consumer/events.consumer.js';
import { HealthController } from './health/health.controller.js';
import { AggregatorMetrics } from './metrics/aggregator-metrics.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { WindowPublisher } from './publish/window-publisher.js';
import { RollupSink } from './sink/rollup-sink.js';

@Module({})
export class AggregatorModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return {
      module: AggregatorModule,
      imports: [CoreModule.forRuntime(runtime)],
      controllers: [MetricsController, HealthController],
      providers: [AggregatorMetrics, RollupSink, WindowPublisher, AggregationService, EventsConsumer],
      exports: [EventsConsumer, AggregationService, RollupSink],
    };
  }
}
