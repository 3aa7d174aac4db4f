import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Runtime } from './runtime.js';
import { APP_CONFIG, CLICKHOUSE, KAFKA, KAFKA_PREPARED, LOGGER } from './tokens.js';

/** Makes the runtime's handles injectable in every module of an app. */
@Global()
@Module({})
export class CoreModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: runtime.config },
        { provide: LOGGER, useValue: runtime.logger },
        { provide: KAFKA, useValue: runtime.kafka },
        { provide: CLICKHOUSE, useValue: runtime.clickhouse },
        { provide: KAFKA_PREPARED, useValue: () => runtime.kafkaPrepared() },
      ],
      exports: [APP_CONFIG, LOGGER, KAFKA, CLICKHOUSE, KAFKA_PREPARED],
    };
  }
}
