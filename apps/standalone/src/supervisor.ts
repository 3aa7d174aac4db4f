import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClickHouseClient } from '@clickstream/clickhouse';
import { inheritedEnvironment, type AppConfig } from '@clickstream/config';
import { startInfra, type RunningClickHouse, type RunningInfra } from '@clickstream/infra';
import { createKafka, projectTopics, TopicAdmin } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { prepareDatabase, seedSharedState } from '@clickstream/platform';
import { SupervisedApp, type SpawnApp } from './supervised-app.js';

export interface SupervisedSystem {
  config: AppConfig;
  infra: string;
  ingestUrl: string;
  gatewayUrl: string;
  aggregatorUrl: string;
  clickhouseUrl: string;
  dashboardUrl: string;
  admin: { token: string; configured: boolean };
  ingestProcesses: number;
}

const appMain = (app: 'ingest' | 'aggregator' | 'gateway'): string => fileURLToPath(new URL(`../../${app}/src/main.js`, import.meta.url));

/**
 * `npm start`: the broker and the ClickHouse server (started here unless configured), the schema
 * brought up to date once, then each app as a process of its own: ingest as N cluster workers
 * sharing its port, one aggregator, one gateway. Apps that die are restarted with back-off; the
 * local ClickHouse server too. stop() goes in dependency order.
 */
export class Supervisor {
  private infra: RunningInfra | undefined;
  private ingest: SupervisedApp[] = [];
  private aggregator: SupervisedApp | undefined;
  private gateway: SupervisedApp | undefined;
  private stopping = false;

  constructor(
    private readonly baseConfig: AppConfig,
    private readonly logger: Logger,
    /** Called when the supervisor cannot keep the system up; it has stopped what it could. */
    private readonly onFatal: (reason: string) => void,
  ) {}

  async start(): Promise<SupervisedSystem> {
    const infra = (this.infra = await startInfra(this.baseConfig, this.logger));
    const config = infra.config;
    await this.prepare(config);
    if (infra.localClickHouse) this.keepClickHouseUp(infra.localClickHouse);
    if (infra.localKafka) {
      void infra.localKafka.exited.then((code) => {
        if (!this.stopping) this.fatal(`the local Kafka broker died (exit code ${code}); see ${config.kafka.local.dataDir}/broker.log`);
      });
    }

    const env: Record<string, string> = {
      ...inheritedEnvironment(),
      KAFKA_BROKERS: config.kafka.brokers!.join(','),
      CLICKHOUSE_URL: config.clickhouse.url!,
      CLICKHOUSE_USER: config.clickhouse.user,
      CLICKHOUSE_PASSWORD: config.clickhouse.password,
      CLICKHOUSE_MIGRATE: 'false',
    };
    const giveUp = (reason: string): void => this.fatal(reason);

    const workers = config.infra.ingestProcesses || availableParallelism();
    // the workers share one listening socket, and the kernel hands each connection to one of them
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: appMain('ingest'), silent: true });
    const spawnIngest: SpawnApp = (vars) => cluster.fork(vars).process;
    this.ingest = Array.from({ length: workers }, (_, i) => new SupervisedApp(`ingest#${i + 1}`, spawnIngest, env, this.logger, giveUp));
    for (const app of this.ingest) app.start();
    const [ingest] = await Promise.all(this.ingest.map((app) => app.ready));
    const ingestUrl = String(ingest!['url']);

    const spawnFork = (main: string): SpawnApp => (vars) => fork(main, [], { env: vars, silent: true });
    const appEnv = { ...env, ...(config.http.publicIngestUrl ? {} : { PUBLIC_INGEST_URL: ingestUrl }) };
    this.aggregator = new SupervisedApp('aggregator', spawnFork(appMain('aggregator')), appEnv, this.logger, giveUp);
    this.gateway = new SupervisedApp('gateway', spawnFork(appMain('gateway')), appEnv, this.logger, giveUp);
    this.aggregator.start();
    this.gateway.start();
    const [aggregator, gateway] = await Promise.all([this.aggregator.ready, this.gateway.ready]);
    // a port picked at random stays the same across restarts (clients and the printed links keep working)
    this.aggregator.pin({ AGGREGATOR_PORT: String(aggregator['port']) });
    this.gateway.pin({ GATEWAY_PORT: String(gateway['port']) });

    return {
      config,
      infra: infra.describe,
      ingestUrl,
      gatewayUrl: String(gateway['url']),
      aggregatorUrl: String(aggregator['url']),
      clickhouseUrl: config.clickhouse.url!,
      dashboardUrl: String(gateway['dashboard']),
      admin: gateway['admin'] as { token: string; configured: boolean },
      ingestProcesses: workers,
    };
  }

  /** Process ids by part, for the operator and the tests. */
  pids(): Record<string, number | undefined> {
    return {
      kafka: this.infra?.localKafka?.pid,
      clickhouse: this.infra?.localClickHouse?.pid,
      aggregator: this.aggregator?.pid,
      gateway: this.gateway?.pid,
      ...Object.fromEntries(this.ingest.map((app) => [app.name, app.pid])),
    };
  }

  /** Ingest stops taking hits and flushes, the aggregator stores and commits, the gateway closes its sockets; then ClickHouse and Kafka. */
  async stop(): Promise<void> {
    this.stopping = true;
    const failures: string[] = [];
    const step = async (what: Promise<unknown>): Promise<void> => {
      await what.catch((err: Error) => {
        failures.push(err.message);
        this.logger.error({ err: err.message }, 'shutdown step failed');
      });
    };
    await step(Promise.all(this.ingest.map((app) => app.stop())));
    if (this.aggregator) await step(this.aggregator.stop());
    if (this.gateway) await step(this.gateway.stop());
    if (this.infra) await step(this.infra.stop());
    if (failures.length > 0) throw new Error(`shutdown incomplete: ${failures.join('; ')}`);
  }

  /** The topics, then migrations, retention, the bootstrap sites and the shared state in Kafka, once, before any app starts. */
  private async prepare(config: AppConfig): Promise<void> {
    const kafka = createKafka({ brokers: config.kafka.brokers!, clientId: `${config.kafka.clientId}-supervisor`, logger: this.logger });
    await new TopicAdmin(kafka, this.logger).ensureTopics(projectTopics(config.kafka));
    const clickhouse = createClickHouseClient(config.clickhouse);
    try {
      await prepareDatabase(clickhouse, config, this.logger);
      await seedSharedState(kafka, clickhouse, config, this.logger);
    } finally {
      await clickhouse.close();
    }
  }

  private keepClickHouseUp(server: RunningClickHouse): void {
    void server.exited.then(async (code) => {
      if (this.stopping) return;
      this.logger.warn({ exit: code, pid: server.pid }, 'the local ClickHouse server died: starting it again');
      for (let attempt = 1; !this.stopping; attempt += 1) {
        try {
          const again = await this.infra!.restartClickHouse();
          this.logger.info({ url: again.url, pid: again.pid }, 'local ClickHouse server restarted');
          this.keepClickHouseUp(again);
          return;
        } catch (err) {
          if (attempt >= 5) return this.fatal(`the local ClickHouse server cannot be started again: ${(err as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
        }
      }
    });
  }

  private fatal(reason: string): void {
    if (this.stopping) return;
    this.logger.fatal({ reason }, 'cannot keep Clickstream up: stopping everything');
    this.stop().then(
      () => this.onFatal(reason),
      () => this.onFatal(reason),
    );
  }
}
