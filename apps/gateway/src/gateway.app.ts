import { IoAdapter } from '@nestjs/platform-socket.io';
import { SiteRepository } from '@clickstream/clickhouse';
import { ApiErrorFilter, createHttpApp, listen, type Runtime, type StartedApp } from '@clickstream/platform';
import { AccessService } from './auth/access.service.js';
import { GatewayModule } from './gateway.module.js';

export interface StartedGateway extends StartedApp {
  port: number;
  url: string;
  /** The read-only dashboard link of a site (it carries the site's dashboard token). */
  dashboardUrl(site: string): Promise<string>;
  /** The admin token, and whether it came from ADMIN_TOKEN or was derived. */
  admin(): { token: string; configured: boolean };
}

/** Builds and starts the gateway: socket.io /live, the history and sites APIs and the dashboard page. */
export async function startGateway(runtime: Runtime): Promise<StartedGateway> {
  const { config } = runtime;
  const logger = runtime.logger.child({ app: 'gateway' });
  const app = await createHttpApp(GatewayModule.forRuntime({ ...runtime, logger }), logger);
  app.useWebSocketAdapter(new IoAdapter(app));
  app.useGlobalFilters(new ApiErrorFilter(logger));
  app.enableCors({ origin: '*', methods: ['GET', 'POST'], allowedHeaders: ['Authorization', 'Content-Type'], credentials: false });
  const port = await listen(app, config.http.gatewayPort, config.http.host, 'GATEWAY_PORT');
  const url = config.http.publicGatewayUrl ?? `http://${config.http.host}:${port}`;
  const access = app.get(AccessService);
  const sites = new SiteRepository(runtime.clickhouse, config.clickhouse.database);
  const dashboardUrl = async (site: string): Promise<string> => {
    const known = await sites.get(site);
    if (!known) throw new Error(`no site ${site}`);
    return access.dashboardUrl(url, known);
  };
  return {
    port,
    url,
    describe: { gateway: url },
    dashboardUrl,
    // the supervisor prints the demo site's dashboard link and the admin token it cannot derive itself
    announce: async () => ({ url, port, dashboard: await dashboardUrl('demo').catch(() => `${url}/?site=demo`), admin: access.admin() }),
    admin: () => access.admin(),
    close: () => app.close(),
  };
}
