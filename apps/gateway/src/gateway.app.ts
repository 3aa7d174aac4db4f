import { IoAdapter } from '@nestjs/platform-socket.io';
import { ApiErrorFilter, createHttpApp, listen, type Runtime, type StartedApp } from '@clickstream/platform';
import { GatewayModule } from './gateway.module.js';

export interface StartedGateway extends StartedApp {
  port: number;
  url: string;
}

/** Builds and starts the gateway: socket.io /live, the history API and the dashboard page. */
export async function startGateway(runtime: Runtime): Promise<StartedGateway> {
  const { config } = runtime;
  const logger = runtime.logger.child({ app: 'gateway' });
  const app = await createHttpApp(GatewayModule.forRuntime({ ...runtime, logger }), logger);
  app.useWebSocketAdapter(new IoAdapter(app));
  app.useGlobalFilters(new ApiErrorFilter(logger));
  app.enableCors({ origin: '*', methods: ['GET'], credentials: false });
  const port = await listen(app, config.http.gatewayPort, config.http.host, 'GATEWAY_PORT');
  const url = config.http.publicGatewayUrl ?? `http://${config.http.host}:${port}`;
  return { port, url, describe: { gateway: url }, close: () => app.close() };
}
