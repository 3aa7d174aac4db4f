import { join, resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import { createClickHouseClient, type ClickHouseClient } from '@clickstream/clickhouse';
import { clickhouseUrlOf, loadConfig, type AppConfig } from '@clickstream/config';
import { projectRoot, startLocalClickHouse } from '@clickstream/infra';
import { ConsumerLag, createKafka } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { Supervisor } from '../../../../apps/standalone/src/supervisor.js';
import type { InfraPids } from './proc-cpu.js';

/** The system under measurement, as the sections reach it: over HTTP and Kafka, like any client. */
export interface BenchTarget {
  config: AppConfig;
  ingestUrl: string;
  gatewayUrl: string;
  aggregatorUrl: string;
  admin: { token: string; configured: boolean };
  /** A ClickHouse client of the bench's own, on the system's server and database. */
  clickhouse: ClickHouseClient;
}

/** What every section gets: the running system, a Kafka client of the bench's own, and helpers. */
export interface BenchContext {
  quick: boolean;
  /** Take profiled repeats of the sections that have them (their summaries explain missed goals). */
  profile: boolean;
  system: BenchTarget;
  collectUrl: string;
  kafka: Kafka;
  lag: ConsumerLag;
  /** The broker JVM and the ClickHouse server, when this run started them. */
  pids: InfraPids;
  logger: Logger;
  /** Where raw profiles and other by-products go (not the report). */
  outDir: string;
  log(message: string): void;
  /** Registers a fresh site through the sites admin API; each measurement gets its own, so counts never mix. */
  createSite(prefix: string): Promise<{ id: string; token: string }>;
  /** A traffic seed never used before in this run (event ids derive from it). */
  nextSeed(): number;
}

export interface BenchSystem {
  system: BenchTarget;
  /** What runs where, for the log. */
  describe: string;
  /** The processes whose CPU the sections measure. */
  pids: InfraPids;
  /** Stops the apps and the broker, then the ClickHouse server (or drops the bench's database on an external one). */
  stop(): Promise<void>;
}

/**
 * The system as `npm start` runs it (the same supervisor: ingest as INGEST_PROCESSES worker
 * processes, one aggregator process, one gateway process), with a Kafka broker of the bench's
 * own and a ClickHouse server of its own unless CLICKHOUSE_URL names one, on free ports and
 * throw-away folders. The supervisor's children take their settings from this process's
 * environment, so the bench's settings are put there.
 */
export async function startBenchSystem(dir: string, logger: Logger): Promise<BenchSystem> {
  const external = loadConfig().clickhouse;
  const root = projectRoot();
  const env: Record<string, string> = {
    LOG_LEVEL: 'warn',
    KAFKA_LOCAL_PORT: '0',
    KAFKA_LOCAL_CONTROLLER_PORT: '0',
    KAFKA_LOCAL_DATA_DIR: join(dir, 'kafka'),
    // a database of the bench's own, so a run against an external server leaves its data alone
    CLICKHOUSE_DATABASE: `bench_${Date.now().toString(36)}`,
    INGEST_PORT: '0',
    GATEWAY_PORT: '0',
    AGGREGATOR_PORT: '0',
    // each synthetic visitor has its own address (X-Forwarded-For), and the bench is no abuser
    TRUST_PROXY: '1',
    RATE_LIMIT_BURST: '1000000',
    RATE_LIMIT_PER_SECOND: '1000000',
  };
  const config = loadConfig(env);
  // started here rather than by startSystem: its pid is measured, and no old data folder (CHDB_PATH) is adopted
  const clickhouse =
    external.url === undefined
      ? await startLocalClickHouse({ projectRoot: root, port: 0, dataDir: join(dir, 'clickhouse'), cacheDir: resolve(root, config.kafka.local.cacheDir), logger })
      : undefined;
  const server = clickhouse ? { CLICKHOUSE_URL: clickhouse.url } : { CLICKHOUSE_URL: clickhouseUrlOf(external), CLICKHOUSE_USER: external.user, CLICKHOUSE_PASSWORD: external.password };
  Object.assign(process.env, env, server);
  const supervisor = new Supervisor(loadConfig(), logger, (reason) => logger.fatal({ reason }, 'the bench system stopped'));
  let system: BenchTarget;
  try {
    const started = await supervisor.start();
    system = { ...started, clickhouse: createClickHouseClient(started.config.clickhouse) };
  } catch (err) {
    await supervisor.stop().catch(() => undefined);
    await clickhouse?.stop();
    throw err;
  }
  const pids = (): Record<string, number | undefined> => supervisor.pids();
  const idsOf = (prefix: string): number[] =>
    Object.entries(pids()).flatMap(([name, pid]) => (pid !== undefined && (name === prefix || name.startsWith(`${prefix}#`)) ? [pid] : []));
  return {
    system,
    describe: `ingest (${idsOf('ingest').length} processes), aggregator and gateway as processes of their own; ${clickhouse ? "a Kafka broker and a ClickHouse server of the bench's own" : "a Kafka broker of the bench's own, a database of its own on the ClickHouse server of CLICKHOUSE_URL"}`,
    pids: {
      kafka: pids()['kafka'],
      clickhouse: clickhouse?.pid,
      apps: () => ({ ingest: idsOf('ingest'), aggregator: idsOf('aggregator'), gateway: idsOf('gateway') }),
    },
    stop: async () => {
      await supervisor.stop();
      if (clickhouse) {
        await system.clickhouse.close();
        return clickhouse.stop();
      }
      await system.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${system.config.clickhouse.database} SYNC` }).catch(() => undefined);
      await system.clickhouse.close();
    },
  };
}

export function benchContext(options: { quick: boolean; profile: boolean; system: BenchTarget; pids: InfraPids; logger: Logger; outDir: string }): BenchContext {
  const { system, logger, ...rest } = options;
  const kafka = createKafka({ brokers: system.config.kafka.brokers ?? [], clientId: 'clickstream-bench', logger });
  let sites = 0;
  let seed = 1000;
  return {
    ...rest,
    system,
    logger,
    collectUrl: `${system.ingestUrl}${system.config.ingest.collectPath}`,
    kafka,
    lag: new ConsumerLag(kafka),
    log: (message) => process.stderr.write(`bench: ${message}\n`),
    createSite: async (prefix) => {
      const id = `${prefix}-${++sites}-${Math.random().toString(36).slice(2, 6)}`;
      const res = await fetch(`${system.gatewayUrl}/api/sites`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${system.admin.token}` },
        body: JSON.stringify({ id }),
      });
      if (res.status !== 201) throw new Error(`creating site ${id}: ${res.status} ${await res.text()}`);
      const created = (await res.json()) as { token: string };
      return { id, token: created.token };
    },
    nextSeed: () => ++seed,
  };
}

/** Sum of every series of a Prometheus counter or histogram part (e.g. `..._count`) on a /metrics page. */
export async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    if (series === name || series.startsWith(`${name}{`)) sum += Number(line.slice(space + 1));
  }
  return sum;
}

/** Records behind the aggregator's consumer group on the events topic, all partitions. */
export async function aggregatorLag(ctx: BenchContext): Promise<number> {
  const { consumerGroup, topics } = ctx.system.config.kafka;
  const partitions = await ctx.lag.measure(consumerGroup, topics.events);
  return Number(partitions.reduce((sum, p) => sum + p.lag, 0n));
}

export async function queryRows<T>(ctx: BenchContext, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await ctx.system.clickhouse.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/** Rows of `site` in the raw events table: what the aggregator stored. */
export async function storedEvents(ctx: BenchContext, site: string): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(ctx, `SELECT count() AS n FROM ${ctx.system.config.clickhouse.database}.events_raw WHERE site = {site:String}`, { site });
  return Number(row?.n ?? 0);
}

/**
 * The newest block number of every table of the database: each insert creates one part per
 * table (per partition it touches) with a new block number, materialized-view targets
 * included, so the difference over a window counts the parts written. The project's own server
 * (clickhouse-local with its HTTP listener) keeps no part_log.
 */
export async function blockNumbers(ctx: BenchContext, database = ctx.system.config.clickhouse.database): Promise<Record<string, number>> {
  const rows = await queryRows<{ table: string; b: number | string }>(ctx, `SELECT table, max(max_block_number) AS b FROM system.parts WHERE database = {db:String} GROUP BY table`, { db: database });
  return Object.fromEntries(rows.map((r) => [r.table, Number(r.b)]));
}

/**
 * Waits until the aggregator has caught up (no lag), so a measurement does not share the
 * machine with the backlog the previous one left; gives up after `timeoutMs`.
 */
export async function settled(ctx: BenchContext, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await aggregatorLag(ctx).catch(() => 1)) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  ctx.log('the aggregator still had a backlog when the next measurement started');
}
