import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type Runtime } from '@clickstream/platform';
import { AuthModule } from './auth/auth.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { GoalsModule } from './goals/goals.module.js';
import { HistoryModule } from './history/history.module.js';
import { LiveModule } from './live/live.module.js';
import { OpsModule } from './ops/ops.module.js';
import { SitesModule } from './sites/sites.module.js';

@Module({})
export class GatewayModule {
  static forRuntime(runtime: Runtime): DynamicModule {
    return { module: GatewayModule, imports: [CoreModule.forRuntime(runtime), AuthModule, LiveModule, HistoryModule, GoalsModule, SitesModule, OpsModule, DashboardModule] };
  }
}
