import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type Runtime } from '@clickstream/platform';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { HistoryModule } from './history/history.module.js';
import { LiveModule } from './live/live.module.js';

@Module({})
export class GatewayModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return { module: GatewayModule, imports: [CoreModule.forRuntime(runtime), LiveModule, HistoryModule, DashboardModule] };
  }
}
