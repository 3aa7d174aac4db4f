import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer, type ProducerBatch, type ProducerConfig } from 'kafkajs';
import { EventProducer, TopicAdmin, type OutgoingMessage } from '@clickstream/kafka';
import { settled, type BenchContext } from '../support/bench-context.js';
import { profiled, type ProfileSummary } from '../support/cpu-profile.js';
import { realisticEvents } from '../support/events.js';
import { goal, type Goal } from '../support/goals.js';
import { otherCpu, withCpu } from '../support/proc-cpu.js';
import { percentiles, ratio, round1, type Percentiles } from '../support/stats.js';

/**
 * (2) The producer path. "Ingest into Kafka" here is libs/kafka's EventProducer driven the way
 * ingest's collect service drives it: 64 concurrent callers (as many as the HTTP benchmark's
 * connections), each awaiting send() of one request's events (1, or a batch of 20), with
 * ingest's settings (linger, most messages per call, acks=all, idempotent). No HTTP: that is
 * section 1. The baseline is a raw kafkajs producer with the same settings calling sendBatch in
 * a loop with exactly the sizes of the batches EventProducer sent, in the same order. The two
 * alternate in rounds (ours, raw, ours, raw), so a drift of the machine falls on both sides.
 */
export interface ProducerRow {
  eventsPerCall: number;
  callers: number;
  durationMs: number;
  ours: { events: number; eventsPerSecond: number; failures: number; sendBatches: number; meanBatch: number; callMs: Percentiles };
  raw: { events: number; eventsPerSecond: number; sendBatches: number; meanBatch: number; batchMs: Percentiles };
  ratio: number;
  /** Other work on the machine during the two measurements (the larger), % of one core. */
  otherCpu: number;
}

export interface ProducerResult {
  topic: string;
  settings: { lingerMs: number; maxBatch: number; timeoutMs: number };
  rows: ProducerRow[];
  /** The main thread during a repeat of EventProducer at the size with the lowest ratio. */
  profile: ProfileSummary | undefined;
  profiledEventsPerCall: number;
  goals: Goal[];
}

/** A Kafka client whose producers report the number of messages of every sendBatch call. */
class RecordingKafka extends Kafka {
  readonly batchSizes: number[] = [];

  override producer(config?: ProducerConfig): Producer {
    const producer = super.producer(config);
    const sendBatch = producer.sendBatch.bind(producer);
    producer.sendBatch = (batch: ProducerBatch) => {
      this.batchSizes.push((batch.topicMessages ?? []).reduce((n, t) => n + t.messages.length, 0));
      return sendBatch(batch);
    };
    return producer;
  }
}

const CALLERS = 64;

function kafkaOptions(brokers: string[]): ConstructorParameters<typeof Kafka>[0] {
  // as createKafka (libs/kafka) configures the apps' client, without its logging
  return { clientId: 'clickstream-bench-producer', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 30_000, retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 } };
}

interface Measured {
  events: number;
  seconds: number;
  failures: number;
  sizes: number[];
  latencies: number[];
}

async function driveEventProducer(ctx: BenchContext, pool: readonly OutgoingMessage[], eventsPerCall: number, durationMs: number): Promise<Measured> {
  const kafka = new RecordingKafka(kafkaOptions(ctx.system.config.kafka.brokers ?? []));
  const producer = new EventProducer(kafka, ctx.system.config.kafka.producer, ctx.logger.child({ component: 'bench-producer' }));
  await producer.connect();
  await producer.send(pool.slice(0, eventsPerCall)); // metadata and connections, not timed
  kafka.batchSizes.length = 0;
  let next = 0;
  let events = 0;
  let failures = 0;
  const callMs: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  const caller = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const from = (next++ * eventsPerCall) % (pool.length - eventsPerCall);
      const at = performance.now();
      try {
        await producer.send(pool.slice(from, from + eventsPerCall));
        events += eventsPerCall;
        callMs.push(performance.now() - at);
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const seconds = (performance.now() - started) / 1000;
  const sizes = [...kafka.batchSizes];
  await producer.close();
  return { events, seconds, failures, sizes, latencies: callMs };
}

async function rawLoop(ctx: BenchContext, pool: readonly OutgoingMessage[], sizes: readonly number[], durationMs: number): Promise<Measured> {
  const kafka = new Kafka(kafkaOptions(ctx.system.config.kafka.brokers ?? []));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const { timeoutMs } = ctx.system.config.kafka.producer;
  const topic = pool[0]!.topic;
  const toMessages = (from: number, n: number) => pool.slice(from, from + n).map((m) => ({ key: m.key, value: m.value }));
  await producer.sendBatch({ topicMessages: [{ topic, messages: toMessages(0, 1) }], acks: -1, timeout: timeoutMs });
  const sequence = sizes.length > 0 ? sizes : [1];
  let events = 0;
  let batches = 0;
  let offset = 0;
  const batchMs: number[] = [];
  const sent: number[] = [];
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    const n = Math.min(sequence[batches % sequence.length]!, pool.length);
    if (offset + n > pool.length) offset = 0;
    const at = performance.now();
    await producer.sendBatch({ topicMessages: [{ topic, messages: toMessages(offset, n) }], acks: -1, timeout: timeoutMs });
    batchMs.push(performance.now() - at);
    sent.push(n);
    offset += n;
    events += n;
    batches += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return { events, seconds, failures: 0, sizes: sent, latencies: batchMs };
}

/** Rounds of one side added up: events over the time they took. */
function total(rounds: readonly Measured[]): { events: number; eventsPerSecond: number; failures: number; sendBatches: number; meanBatch: number; latencyMs: Percentiles } {
  const events = rounds.reduce((n, r) => n + r.events, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  const batches = rounds.reduce((n, r) => n + r.sizes.length, 0);
  const sent = rounds.reduce((n, r) => n + r.sizes.reduce((a, b) => a + b, 0), 0);
  return {
    events,
    eventsPerSecond: Math.round(events / Math.max(seconds, 1e-3)),
    failures: rounds.reduce((n, r) => n + r.failures, 0),
    sendBatches: batches,
    meanBatch: round1(sent / Math.max(1, batches)),
    latencyMs: percentiles(rounds.flatMap((r) => r.latencies)),
  };
}

export async function runProducer(ctx: BenchContext): Promise<ProducerResult> {
  const durationMs = ctx.quick ? 1000 : 10_000;
  const topic = `bench-producer-${Date.now().toString(36)}`;
  await new TopicAdmin(ctx.kafka, ctx.logger).ensureTopics([{ topic, partitions: ctx.system.config.kafka.partitions.events, replicationFactor: 1 }]);
  const pool = realisticEvents({ count: 8192, seed: ctx.nextSeed(), site: 'demo', topic, firstReceivedAt: Date.now(), spacingMs: 1 });
  const rows: ProducerRow[] = [];
  // alternating rounds (ours, raw, ours, raw) so a drift of the machine falls on both sides
  const rounds = ctx.quick ? 1 : 2;
  for (const eventsPerCall of [1, 20]) {
    const ours: Measured[] = [];
    const raw: Measured[] = [];
    let noise = 0;
    for (let round = 0; round < rounds; round++) {
      await settled(ctx);
      const a = await withCpu(ctx.pids, () => driveEventProducer(ctx, pool, eventsPerCall, durationMs / rounds));
      const b = await withCpu(ctx.pids, () => rawLoop(ctx, pool, a.result.sizes, durationMs / rounds));
      ours.push(a.result);
      raw.push(b.result);
      noise = Math.max(noise, otherCpu(a.cpu), otherCpu(b.cpu));
    }
    const o = total(ours);
    const r = total(raw);
    rows.push({
      eventsPerCall,
      callers: CALLERS,
      durationMs,
      ours: { events: o.events, eventsPerSecond: o.eventsPerSecond, failures: o.failures, sendBatches: o.sendBatches, meanBatch: o.meanBatch, callMs: o.latencyMs },
      raw: { events: r.events, eventsPerSecond: r.eventsPerSecond, sendBatches: r.sendBatches, meanBatch: r.meanBatch, batchMs: r.latencyMs },
      ratio: ratio(o.eventsPerSecond, r.eventsPerSecond),
      otherCpu: noise,
    });
    ctx.log(`producer, ${eventsPerCall} per call: ${o.eventsPerSecond} events/s (mean batch ${o.meanBatch}) vs raw sendBatch ${r.eventsPerSecond} events/s`);
  }
  let profile: ProfileSummary | undefined;
  const worst = rows.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  if (ctx.profile) {
    ({ profile } = await profiled(() => driveEventProducer(ctx, pool, worst.eventsPerCall, ctx.quick ? 500 : 5000), join(ctx.outDir, 'bench-producer.cpuprofile')));
  }
  return {
    topic,
    settings: ctx.system.config.kafka.producer,
    rows,
    profile,
    profiledEventsPerCall: worst.eventsPerCall,
    goals: rows.map((r) => goal(`EventProducer vs raw sendBatch, ${r.eventsPerCall === 1 ? 'single events' : `${r.eventsPerCall} events`} per call`, r.ratio, '>=', 0.8, 'x')),
  };
}
