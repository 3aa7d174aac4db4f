import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type Runtime } from '@clickstream/platform';
import { CollectModule } from './collect/collect.module.js';
import { HealthModule } from './health/health.module.js';
import { TrackerModule } from './tracker/tracker.module.js';

@Module({})
export class IngestModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return { module: IngestModule, imports: [CoreModule.forRuntime(runtime), CollectModule, TrackerModule, HealthModule] };
  }
}
