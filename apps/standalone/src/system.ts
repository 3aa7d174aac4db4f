import type { ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { startInfra } from '@clickstream/infra';
import type { Logger } from '@clickstream/logger';
import { createRuntime, type Runtime, type StartedApp } from '@clickstream/platform';
import { startAggregator, type StartedAggregator } from '../../aggregator/src/aggregator.app.js';
import { startGateway } from '../../gateway/src/gateway.app.js';
import { startIngest } from '../../ingest/src/ingest.app.js';

export interface RunningSystem {
  config: AppConfig;
  ingestUrl: string;
  gatewayUrl: string;
  aggregatorUrl: string;
  infra: string;
  /** A site's read-only dashboard link, carrying its dashboard token. */
  dashboardUrl(site: string): Promise<string>;
  /** The sites admin API's token, and whether ADMIN_TOKEN set it. */
  admin: { token: string; configured: boolean };
  /** The ClickHouse client the apps in this process share. */
  clickhouse: ClickHouseClient;
  /** Stops in dependency order: stop taking hits, drain, stop consuming, close sockets, then the infra. */
  stop(): Promise<void>;
}

/**
 * Kafka and ClickHouse (started or external) and the three apps in this process, for tests that
 * drive the apps directly; `npm start` runs each app as a process of its own (supervisor.ts).
 */
export async function startSystem(baseConfig: AppConfig, logger: Logger): Promise<RunningSystem> {
  const infra = await startInfra(baseConfig, logger);
  const parts: { runtime?: Runtime; ingest?: StartedApp; aggregator?: StartedAggregator; gateway?: StartedApp } = {};
  const stop = async (): Promise<void> => {
    // stop taking hits (flushing the producer), let the aggregator finish and commit its batch,
    // close the sockets, then the storage and the broker; every step runs, and a failed one
    // fails the stop
    const failures: string[] = [];
    for (const [name, part] of [['ingest', parts.ingest], ['aggregator', parts.aggregator], ['gateway', parts.gateway], ['runtime', parts.runtime], ['infra', { close: () => infra.stop() }]] as const) {
      await part?.close().catch((err: Error) => {
        failures.push(`${name}: ${err.message}`);
        logger.error({ err: err.message, part: name }, 'shutdown step failed');
      });
    }
    if (failures.length > 0) throw new Error(`shutdown incomplete: ${failures.join('; ')}`);
  };
  try {
    const runtime = (parts.runtime = await createRuntime(infra.config, logger));
    const ingest = (parts.ingest = await startIngest(runtime));
    const config: AppConfig = { ...runtime.config, http: { ...runtime.config.http, publicIngestUrl: ingest.url } };
    const shared = { ...runtime, config };
    const aggregator = (parts.aggregator = await startAggregator(shared));
    const gateway = (parts.gateway = await startGateway(shared));
    await aggregator.ready();
    return {
      config,
      ingestUrl: ingest.url,
      gatewayUrl: gateway.url,
      aggregatorUrl: aggregator.url,
      infra: infra.describe,
      dashboardUrl: (site) => gateway.dashboardUrl(site),
      admin: gateway.admin(),
      clickhouse: runtime.clickhouse,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
