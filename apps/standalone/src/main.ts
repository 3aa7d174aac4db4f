import 'reflect-metadata';
import { createLogger } from '@clickstream/logger';
import { loadConfigOrExit, stopOnSignals } from '@clickstream/platform';
import { snippet } from '@clickstream/tracker';
import { Supervisor, type SupervisedSystem } from './supervisor.js';

/** The User-Agent of the printed example: a desktop Chrome's, so the hit counts as a visitor's. */
const EXAMPLE_BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** `npm start`: the broker, the ClickHouse server and every app as a process of its own, under one supervisor. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('clickstream');
  const logger = createLogger(config.log.level, 'supervisor');
  const supervisor = new Supervisor(config, logger, (reason) => {
    process.stderr.write(`\n  Clickstream stopped: ${reason}\n\n`);
    process.exit(1);
  });
  stopOnSignals(logger, () => supervisor.stop());

  let system: SupervisedSystem;
  try {
    system = await supervisor.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'Clickstream could not start');
    await supervisor.stop().catch(() => undefined);
    process.exit(1);
  }
  logger.info({ pids: supervisor.pids() }, 'every part is up');
  process.stdout.write(banner(system));
}

function banner(system: SupervisedSystem): string {
  const demoSite = 'demo';
  return [
    '',
    `  Clickstream is running (${system.infra}; ${system.ingestProcesses} ingest process(es), one aggregator, one gateway)`,
    '',
    `  Dashboard:   ${system.dashboardUrl}`,
    `  Collect URL: ${system.ingestUrl}/api/collect`,
    `  Tracker:     ${system.ingestUrl}/script.js`,
    `  ClickHouse:  ${system.clickhouseUrl}`,
    `  Metrics:     ${system.aggregatorUrl}/metrics`,
    '',
    '  Paste this into your pages (change data-site to your site id):',
    `    ${snippet(`${system.ingestUrl}/script.js`, demoSite)}`,
    '',
    "  Try it (a browser's User-Agent: curl's own is a bot's, stored but counted apart):",
    `    curl -i -X POST ${system.ingestUrl}/api/collect -H 'Content-Type: application/json' \\`,
    `      -A '${EXAMPLE_BROWSER}' \\`,
    `      -d '{"site":"${demoSite}","url":"https://example.com/hello"}'`,
    '',
    system.admin.configured
      ? '  Sites admin API: POST/GET /api/sites with the ADMIN_TOKEN you set.'
      : `  Sites admin API: POST/GET ${system.gatewayUrl}/api/sites with 'Authorization: Bearer ${system.admin.token}' (set ADMIN_TOKEN to choose it)`,
    '',
    '  Ctrl-C stops everything.',
    '',
    '',
  ].join('\n');
}

void main();
