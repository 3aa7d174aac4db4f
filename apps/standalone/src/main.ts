import 'reflect-metadata';
import { createLogger } from '@clickstream/logger';
import { loadConfigOrExit, stopOnSignals } from '@clickstream/platform';
import { snippet } from '@clickstream/tracker';
import { startSystem, type RunningSystem } from './system.js';

/** `npm start`: everything in one process, with a local Kafka and embedded ClickHouse by default. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('clickstream');
  const logger = createLogger(config.log.level);
  let system: RunningSystem | undefined;
  stopOnSignals(logger, async () => {
    await system?.stop();
  });

  try {
    system = await startSystem(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'Clickstream could not start');
    process.exit(1);
  }
  const demoSite = 'demo';
  const dashboard = await system.dashboardUrl(demoSite).catch(() => `${system!.gatewayUrl}/?site=${demoSite}`);
  process.stdout.write(
    [
      '',
      `  Clickstream is running (${system.infra}, ClickHouse ${system.config.clickhouse.mode})`,
      '',
      `  Dashboard:   ${dashboard}`,
      `  Metrics:     ${system.aggregatorUrl}/metrics`,
      `  Collect URL: ${system.ingestUrl}/api/collect`,
      `  Tracker:     ${system.ingestUrl}/script.js`,
      '',
      '  Paste this into your pages (change data-site to your site id):',
      `    ${snippet(`${system.ingestUrl}/script.js`, demoSite)}`,
      '',
      '  Try it:',
      `    curl -i -X POST ${system.ingestUrl}/api/collect -H 'Content-Type: application/json' \\`,
      `      -d '{"site":"${demoSite}","url":"https://example.com/hello"}'`,
      '',
      system.admin.configured
        ? '  Sites admin API: POST/GET /api/sites with the ADMIN_TOKEN you set.'
        : `  Sites admin API: POST/GET ${system.gatewayUrl}/api/sites with 'Authorization: Bearer ${system.admin.token}' (set ADMIN_TOKEN to choose it)`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

void main();
