import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { insertEncoded, migrate } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { startAggregator } from '../../../../apps/aggregator/src/aggregator.app.js';
import { insertSettings } from '../../../../apps/aggregator/src/sink/rollup-sink.js';
import { metricValue, queryRows, type BenchContext } from '../support/bench-context.js';
import { profiled, type ProfileSummary } from '../support/cpu-profile.js';
import { realisticEvents } from '../support/events.js';
import { goal, type Goal } from '../support/goals.js';
import { cpuShares, cpuSnapshot, type CpuShares } from '../support/proc-cpu.js';
import { ensureTopics, extraRuntime } from '../support/second-app.js';
import { ratio, sleep } from '../support/stats.js';

/**
 * (3) The aggregator against a raw consumer. N realistic events are produced into a fresh
 * topic first; then a raw kafkajs consumer group (eachBatch, JSON.parse of every value, all
 * partitions at once) drains it, then the real aggregator (startAggregator: decode and
 * validate, dedup, sessions, windows, live publishing, one ClickHouse insert per buffer, commit
 * after the insert) drains it with a group and a ClickHouse database of its own. Each is timed
 * from its group join to its last event (raw) or to its committed offsets reaching the end of
 * every partition (ours: commits follow the inserts, so that is "stored").
 */
export interface DrainFigures {
  events: number;
  ms: number;
  eventsPerSecond: number;
  cpu: CpuShares;
}

export interface AggregatorResult {
  events: number;
  topic: string;
  partitions: number;
  produce: { ms: number; eventsPerSecond: number };
  raw: DrainFigures;
  ours: DrainFigures & { stored: number; parts: number; inserts: number; insertSeconds: number; storageAlone: StorageAlone | undefined };
  ratio: number;
  profile: ProfileSummary | undefined;
  goals: Goal[];
}

/**
 * The rows the aggregator stored, inserted again as it inserts them (JSONCompactEachRow, in
 * inserts of its mean size, into an empty database with every view) one after another while
 * nothing else runs: what ClickHouse alone takes to store them, which bounds the drain.
 */
export interface StorageAlone {
  rows: number;
  inserts: number;
  seconds: number;
  eventsPerSecond: number;
}

async function storageAlone(ctx: BenchContext, database: string, rowsPerInsert: number): Promise<StorageAlone> {
  const scratch = `${database}_again`;
  await migrate(ctx.system.clickhouse, scratch, ctx.logger);
  try {
    // the columns an insert takes: the server computes the MATERIALIZED ones (migration 14)
    const columns = (await queryRows<{ name: string }>(ctx, `SELECT name FROM system.columns WHERE database = {db:String} AND table = 'events_raw' AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position`, { db: database })).map((c) => c.name);
    const text = await (await ctx.system.clickhouse.query({ query: `SELECT ${columns.join(', ')} FROM ${database}.events_raw ORDER BY kafka_partition, kafka_offset`, format: 'JSONCompactEachRow' })).text();
    const lines = text.split('\n').filter((l) => l.length > 0);
    let ms = 0;
    let inserts = 0;
    for (let i = 0; i < lines.length; i += rowsPerInsert) {
      const body = Buffer.from(lines.slice(i, i + rowsPerInsert).join('\n'));
      const started = performance.now();
      await insertEncoded(ctx.system.clickhouse, {
        table: `${scratch}.events_raw`,
        columns,
        format: 'JSONCompactEachRow',
        body,
        settings: insertSettings(`again-${i}`),
      });
      ms += performance.now() - started;
      inserts += 1;
    }
    const seconds = Math.round(ms / 10) / 100;
    return { rows: lines.length, inserts, seconds, eventsPerSecond: Math.round(lines.length / Math.max(ms / 1000, 1e-3)) };
  } finally {
    await ctx.system.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${scratch} SYNC` }).catch(() => undefined);
  }
}

async function produceTopic(ctx: BenchContext, topic: string, count: number): Promise<{ ms: number }> {
  const messages = realisticEvents({ count, seed: ctx.nextSeed(), site: 'bench-agg', topic, firstReceivedAt: Date.now() - count, spacingMs: 1 });
  const producer = ctx.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < messages.length; i += 5000) {
    await producer.sendBatch({ topicMessages: [{ topic, messages: messages.slice(i, i + 5000).map((m) => ({ key: m.key, value: m.value })) }], acks: -1 });
  }
  const ms = performance.now() - started;
  await producer.disconnect();
  return { ms };
}

async function rawDrain(ctx: BenchContext, topic: string, count: number, partitions: number): Promise<DrainFigures> {
  const kafka = new Kafka({ clientId: 'clickstream-bench-raw', brokers: ctx.system.config.kafka.brokers ?? [], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-raw-${Date.now().toString(36)}`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
  let joinedAt: number | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ??= performance.now()));
  let seen = 0;
  let finish: (at: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const cpu0 = cpuSnapshot(ctx.pids);
  await consumer.run({
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        JSON.parse(m.value?.toString('utf8') ?? 'null');
        seen += 1;
      }
      if (seen >= count) finish(performance.now());
    },
  });
  const endedAt = await done;
  const cpu1 = cpuSnapshot(ctx.pids);
  await consumer.stop();
  await consumer.disconnect();
  const ms = endedAt - (joinedAt ?? endedAt);
  return { events: seen, ms: Math.round(ms), eventsPerSecond: Math.round(seen / Math.max(ms / 1000, 1e-3)), cpu: cpuShares(cpu0, cpu1) };
}

/** The real aggregator on `topic`, with its own consumer group and ClickHouse database, until every partition is committed to its end (or `maxMs`). */
async function aggregatorDrain(ctx: BenchContext, topic: string, count: number, maxMs: number, measureStorage: boolean): Promise<AggregatorResult['ours']> {
  const id = Date.now().toString(36);
  const database = `bench_agg_${id}`;
  await migrate(ctx.system.clickhouse, database, ctx.logger);
  const base = ctx.system.config;
  const config: AppConfig = {
    ...base,
    kafka: { ...base.kafka, clientId: `bench-agg-${id}`, consumerGroup: `bench-agg-${id}`, topics: { ...base.kafka.topics, events: topic, aggregates: `${topic}.aggregates`, deadLetter: `${topic}.dead-letter` } },
    clickhouse: { ...base.clickhouse, database },
    http: { ...base.http, aggregatorPort: 0 },
  };
  const aggregator = await startAggregator(await extraRuntime(ctx, config));
  let closed = false;
  try {
    await aggregator.ready();
    const started = performance.now();
    const cpu0 = cpuSnapshot(ctx.pids);
    let lag = Number.POSITIVE_INFINITY;
    while (lag > 0 && performance.now() - started < maxMs) {
      await sleep(100);
      const partitions = await ctx.lag.measure(config.kafka.consumerGroup, topic);
      lag = Number(partitions.reduce((sum, p) => sum + p.lag, 0n));
    }
    const ms = performance.now() - started;
    const cpu1 = cpuSnapshot(ctx.pids);
    const [row] = await queryRows<{ n: number | string }>(ctx, `SELECT count() AS n FROM ${database}.events_raw`);
    const [parts] = await queryRows<{ b: number | string }>(ctx, `SELECT max(max_block_number) AS b FROM system.parts WHERE database = {db:String} AND table = 'events_raw'`, { db: database });
    const stored = Number(row?.n ?? 0);
    // the time its ClickHouse inserts took (retries included), from its own /metrics
    const inserts = await metricValue(aggregator.url, 'clickstream_aggregator_insert_latency_seconds_count');
    const insertSeconds = Math.round((await metricValue(aggregator.url, 'clickstream_aggregator_insert_latency_seconds_sum')) * 100) / 100;
    // stopped first: the repeat below has the cores to itself
    closed = true;
    await aggregator.close();
    const again = measureStorage && inserts > 0 ? await storageAlone(ctx, database, Math.ceil(stored / inserts)) : undefined;
    return {
      events: count,
      stored,
      parts: Number(parts?.b ?? 0),
      inserts,
      insertSeconds,
      storageAlone: again,
      ms: Math.round(ms),
      eventsPerSecond: Math.round(stored / Math.max(ms / 1000, 1e-3)),
      cpu: cpuShares(cpu0, cpu1),
    };
  } finally {
    if (!closed) await aggregator.close();
    await ctx.system.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` }).catch(() => undefined);
  }
}

export async function runAggregator(ctx: BenchContext): Promise<AggregatorResult> {
  const count = ctx.quick ? 10_000 : 300_000;
  const partitions = ctx.system.config.kafka.partitions.events;
  const topic = `bench-agg-${Date.now().toString(36)}`;
  await ensureTopics(ctx, { ...ctx.system.config.kafka, topics: { ...ctx.system.config.kafka.topics, events: topic, aggregates: `${topic}.aggregates`, deadLetter: `${topic}.dead-letter` } });
  const produced = await produceTopic(ctx, topic, count);
  ctx.log(`aggregator: ${count} events produced into ${topic} in ${Math.round(produced.ms)} ms`);
  const raw = await rawDrain(ctx, topic, count, partitions);
  ctx.log(`aggregator, raw consumer: ${raw.eventsPerSecond} events/s`);
  const ours = await aggregatorDrain(ctx, topic, count, ctx.quick ? 60_000 : 300_000, true);
  ctx.log(`aggregator, ours: ${ours.eventsPerSecond} events/s (${ours.stored} stored in ${ours.ms} ms)`);
  if (ours.storageAlone) ctx.log(`aggregator, storage alone: ${ours.storageAlone.eventsPerSecond} events/s (${ours.storageAlone.inserts} inserts in ${ours.storageAlone.seconds} s)`);
  let profile: ProfileSummary | undefined;
  if (ctx.profile) {
    // a fresh group and database drain the same topic again for a few seconds under the profiler
    ({ profile } = await profiled(() => aggregatorDrain(ctx, topic, count, ctx.quick ? 1000 : 8000, false), join(ctx.outDir, 'bench-aggregator.cpuprofile')));
  }
  const r = ratio(ours.eventsPerSecond, raw.eventsPerSecond);
  return {
    events: count,
    topic,
    partitions,
    produce: { ms: Math.round(produced.ms), eventsPerSecond: Math.round(count / (produced.ms / 1000)) },
    raw,
    ours,
    ratio: r,
    profile,
    goals: [goal('aggregator vs raw eachBatch + JSON.parse', r, '>=', 0.5, 'x')],
  };
}
