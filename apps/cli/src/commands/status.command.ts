import { clickhouseUrlOf, publicIngestUrlOf, type AppConfig } from '@clickstream/config';
import { expectPositionals, parseCommandLine } from '../command-line.js';
import type { Command } from '../command.js';
import { GatewayClient, gatewayUrlOf } from '../gateway-client.js';
import { KafkaSession } from '../kafka-session.js';
import { groupLag, totalLag } from '../partition-lag.js';
import { samplesOf } from '../prometheus-text.js';
import { formatTable } from '../table.js';
import { TOPIC_ROLES, topicOfRole } from '../topic-roles.js';

const USAGE = `usage: clickstream status [--admin-token <token>]

  Checks a running Clickstream, one line per check marked ok, FAIL or -- (not known):
    Kafka broker       reachable at KAFKA_BROKERS (or the local broker of \`npm start\`)
    topics             the events, aggregates and dead-letter topics exist; their record counts
    aggregator group   members of KAFKA_CONSUMER_GROUP and its lag on the events topic
    aggregator         http://HOST:AGGREGATOR_PORT/health answers
    last window        the newest event time the aggregator has reached (its watermark)
    ClickHouse         CLICKHOUSE_URL (or the local server on CLICKHOUSE_LOCAL_PORT) answers
    ingest             PUBLIC_INGEST_URL (or http://HOST:INGEST_PORT)/health, Kafka up for it
    gateway            PUBLIC_GATEWAY_URL (or http://HOST:GATEWAY_PORT) answers; the site count
                       with the admin token (ADMIN_TOKEN or --admin-token)
    counts             events accepted (records of the events topic), dead letters, events the
                       aggregator stored since it started; the rows of the raw, minute and
                       session tables and the sites in ClickHouse

  Exit code 1 when any check fails.
`;

const OPTIONS = { help: { type: 'boolean', short: 'h' }, 'admin-token': { type: 'string' } } as const;
const HTTP_TIMEOUT_MS = 3000;

type Mark = 'ok' | 'FAIL' | '--';
interface Check {
  mark: Mark;
  name: string;
  detail: string;
}

const check = (mark: Mark, name: string, detail: string): Check => ({ mark, name, detail });

export const statusCommand: Command = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandLine('status', { args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      context.stdout.write(USAGE);
      return 0;
    }
    expectPositionals('status', positionals, []);
    const config = context.config();
    const adminToken = values['admin-token'] ?? config.http.adminToken;
    const [kafka, aggregator, ingest, gateway] = await Promise.all([kafkaChecks(config), aggregatorChecks(config), ingestCheck(config), gatewayCheck(config, adminToken)]);
    const counts: string[] = [];
    if (kafka.eventRecords !== undefined) counts.push(`events accepted ${kafka.eventRecords} (records of the events topic)`);
    if (kafka.deadLetters !== undefined) counts.push(`dead letters ${kafka.deadLetters}`);
    if (aggregator.processed !== undefined) counts.push(`stored by the aggregator since it started ${aggregator.processed}`);
    const rows = await clickhouseChecks(config, aggregator.clickhouse);
    counts.push(rows.counts);
    const checks = [...kafka.checks, ...aggregator.checks, rows.check, ingest, gateway, check('--', 'counts', counts.join('; '))];
    context.stdout.write(formatTable(checks.map((c) => [c.mark, c.name, c.detail])));
    return checks.some((c) => c.mark === 'FAIL') ? 1 : 0;
  },
};

async function kafkaChecks(config: AppConfig): Promise<{ checks: Check[]; eventRecords?: bigint; deadLetters?: bigint }> {
  let session: KafkaSession;
  try {
    session = await KafkaSession.open(config);
  } catch (err) {
    return { checks: [check('FAIL', 'Kafka broker', (err as Error).message)] };
  }
  try {
    const { admin } = session;
    const cluster = await admin.describeCluster();
    const checks = [check('ok', 'Kafka broker', `${session.brokers.join(',')} (${cluster.brokers.length} broker(s))`)];
    const existing = new Set(await admin.listTopics());
    const records: Partial<Record<string, bigint>> = {};
    for (const role of TOPIC_ROLES) {
      const topic = topicOfRole(role, config.kafka.topics);
      if (!existing.has(topic)) {
        checks.push(check('FAIL', `${role} topic`, `${topic} is missing (clickstream topics create makes it)`));
        continue;
      }
      const ranges = await session.partitions(topic);
      records[role] = ranges.reduce((sum, r) => sum + (r.high - r.low), 0n);
      checks.push(check('ok', `${role} topic`, `${topic}: ${ranges.length} partition(s), ${records[role]} record(s)`));
    }
    const events = config.kafka.topics.events;
    const groupId = config.kafka.consumerGroup;
    if (existing.has(events)) {
      const [ranges, [offsets], { groups }] = await Promise.all([session.partitions(events), admin.fetchOffsets({ groupId, topics: [events] }), admin.describeGroups([groupId])]);
      const lag = totalLag(groupLag(ranges, offsets?.partitions ?? []));
      const members = groups[0]?.members.length ?? 0;
      checks.push(check(members > 0 ? 'ok' : 'FAIL', 'aggregator group', `${groupId}: ${members} member(s)${members === 0 ? ' (no aggregator is reading)' : ''}, lag ${lag}`));
    }
    return { checks, eventRecords: records['events'], deadLetters: records['dead-letter'] };
  } catch (err) {
    return { checks: [check('FAIL', 'Kafka broker', `${session.brokers.join(',')}: ${(err as Error).message}`)] };
  } finally {
    await session.close();
  }
}

async function getText(url: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function aggregatorChecks(config: AppConfig): Promise<{ checks: Check[]; clickhouse?: 'up' | 'down'; processed?: number }> {
  const base = `http://${config.http.host}:${config.http.aggregatorPort}`;
  const [health, metrics] = await Promise.all([getText(`${base}/health`), getText(`${base}/metrics`)]);
  const body = health && parseJson(health.text);
  if (!body) return { checks: [check('FAIL', 'aggregator', `no answer at ${base}/health (is it running? AGGREGATOR_PORT)`), check('--', 'last window', 'not known')] };
  const partitions = Array.isArray(body['partitions']) ? body['partitions'].join(',') : '?';
  const checks = [check(body['status'] === 'ok' ? 'ok' : 'FAIL', 'aggregator', `${base}: ${String(body['status'])}, reading partitions ${partitions || 'none'}`)];
  const clickhouse = body['clickhouse'] === 'up' ? 'up' : 'down';
  let processed: number | undefined;
  if (metrics?.status === 200) {
    const watermarks = samplesOf(metrics.text, 'clickstream_aggregator_watermark_seconds').filter((s) => s.value > 0);
    const newest = watermarks.reduce<(typeof watermarks)[number] | undefined>((best, s) => (best === undefined || s.value > best.value ? s : best), undefined);
    if (newest) {
      const at = newest.value * 1000;
      const ago = Math.max(0, Math.round((Date.now() - at) / 1000));
      checks.push(check('ok', 'last window', `event time ${new Date(at).toISOString()} reached (partition ${newest.labels['partition'] ?? '?'}, ${ago}s ago)`));
    } else checks.push(check('--', 'last window', 'no event read yet'));
    processed = samplesOf(metrics.text, 'clickstream_aggregator_events_processed_total').reduce((sum, s) => sum + s.value, 0);
  } else checks.push(check('--', 'last window', `no metrics at ${base}/metrics`));
  return { checks, clickhouse, processed };
}

/** The server the apps use, asked directly: up, and its row counts. */
async function clickhouseChecks(config: AppConfig, seenByAggregator: 'up' | 'down' | undefined): Promise<{ check: Check; counts: string }> {
  const { createClickHouseClient } = await import('@clickstream/clickhouse');
  const url = clickhouseUrlOf(config.clickhouse);
  const client = createClickHouseClient(config.clickhouse);
  const db = config.clickhouse.database;
  try {
    const result = await client.query({
      query: `SELECT (SELECT count() FROM ${db}.events_raw) AS events_raw, (SELECT count() FROM ${db}.rollup_1m) AS rollup_1m,
                     (SELECT count() FROM ${db}.sessions_1m) AS sessions_1m, (SELECT count() FROM ${db}.sites FINAL WHERE NOT deleted) AS sites`,
      format: 'JSONEachRow',
      abort_signal: AbortSignal.timeout(HTTP_TIMEOUT_MS * 2),
    });
    const [row] = await result.json<Record<string, number>>();
    const counts = `ClickHouse rows: ${Object.entries(row ?? {}).map(([table, n]) => `${table} ${n}`).join(', ')}`;
    const aggregator = seenByAggregator ? `; ${seenByAggregator} as the aggregator sees it` : '';
    return { check: check('ok', 'ClickHouse', `${url} (database ${db})${aggregator}`), counts };
  } catch (err) {
    return { check: check('FAIL', 'ClickHouse', `${url}: ${(err as Error).message.split('\n')[0]}`), counts: 'ClickHouse row counts not known' };
  } finally {
    await client.close().catch(() => undefined);
  }
}

async function ingestCheck(config: AppConfig): Promise<Check> {
  const base = publicIngestUrlOf(config.http);
  const health = await getText(`${base}/health`);
  const body = health && parseJson(health.text);
  if (!body) return check('FAIL', 'ingest', `no answer at ${base}/health (is it running? INGEST_PORT, PUBLIC_INGEST_URL)`);
  return check(body['status'] === 'ok' ? 'ok' : 'FAIL', 'ingest', `${base}: ${String(body['status'])}, Kafka ${String(body['kafka'])} for it`);
}

async function gatewayCheck(config: AppConfig, adminToken: string | undefined): Promise<Check> {
  const base = gatewayUrlOf(config);
  if (!adminToken) {
    const answer = await getText(`${base}/api/ops`);
    return answer ? check('ok', 'gateway', `${base} answers (the site count needs the admin token: ADMIN_TOKEN or --admin-token)`) : check('FAIL', 'gateway', `no answer at ${base}`);
  }
  try {
    const sites = await new GatewayClient(base, adminToken, fetch, HTTP_TIMEOUT_MS).listSites();
    return check('ok', 'gateway', `${base}: ${sites.length} site(s)`);
  } catch (err) {
    return check('FAIL', 'gateway', (err as Error).message);
  }
}
