import type { Consumer, Kafka, Offsets } from 'kafkajs';
import type { Logger } from '@clickstream/logger';

export interface ConsumedMessage {
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  /** Called after each group join with the partitions this member now owns, per topic. */
  onAssignment?: (assignment: Record<string, number[]>) => void;
  /** A member that has not fetched (or heartbeated while a batch waits) for this long is rebuilt (default 20 s). */
  stallMs?: number;
  /** Batches of different partitions handled at once (default 1). */
  concurrency?: number;
}

export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

/** While a handler waits (for storage, say), the member keeps heartbeating this often, so the group keeps it. */
const KEEPALIVE_MS = 2000;

/**
 * Runs a consumer group with manual commits: a batch's offsets are committed only after
 * the handler returned, so a crash in between redelivers the batch (at-least-once);
 * handlers make redelivery harmless.
 *
 * kafkajs can leave a consumer silent after its only broker restarts (tulios/kafkajs#267,
 * #659), so a watchdog rebuilds the member when it has not fetched for `stallMs`.
 */
export class BatchConsumer {
  private consumer: Consumer;
  private handler: BatchHandler | undefined;
  private running = false;
  private lastFetchAt = Date.now();
  /** When the batch in progress started or last heartbeated successfully, if one is in progress. */
  private batchSince: number | undefined;
  private batchesInFlight = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> | undefined;
  private markJoined: () => void = () => undefined;
  private readonly joined: Promise<void>;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: BatchConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.joined = new Promise((res) => (this.markJoined = res));
    this.consumer = this.build();
  }

  /** Resolves once this member has joined its group and received partitions. */
  ready(): Promise<void> {
    return this.joined;
  }

  async start(handler: BatchHandler): Promise<void> {
    this.handler = handler;
    this.running = true;
    await this.run(this.consumer);
    const stallMs = this.options.stallMs ?? 20_000;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      const stalled = this.batchSince !== undefined ? now - this.batchSince > stallMs : now - this.lastFetchAt > stallMs;
      if (this.running && !this.rebuilding && stalled) {
        this.logger.warn({ groupId: this.options.groupId, sinceFetchMs: now - this.lastFetchAt, batchMs: this.batchSince && now - this.batchSince }, 'consumer stalled; rebuilding it');
        this.rebuilding = this.rebuild().finally(() => (this.rebuilding = undefined));
      }
    }, Math.min(5000, stallMs)).unref();
  }

  /** Stops fetching, lets the batch in progress finish and commit, and leaves the group. */
  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    const wasRunning = this.running;
    this.running = false;
    await this.rebuilding;
    if (wasRunning) await this.consumer.stop();
    await this.consumer.disconnect();
  }

  /** Stops fetching (the batches in progress go on); the member stays in its group. */
  pause(): void {
    this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.consumer.resume(this.options.topics.map((topic) => ({ topic })));
  }

  private build(): Consumer {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      // an idle fetch returns after this long; a stop waits for the fetch in flight
      maxWaitTimeInMs: 500,
      retry: { retries: 5, restartOnFailure: async () => true },
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.lastFetchAt = Date.now();
      const assignment = event.payload.memberAssignment;
      this.logger.info({ groupId: this.options.groupId, assignment }, 'joined consumer group');
      this.options.onAssignment?.(assignment);
      this.markJoined();
    });
    consumer.on(consumer.events.FETCH_START, () => (this.lastFetchAt = Date.now()));
    consumer.on(consumer.events.CRASH, (event) => {
      this.logger.warn({ groupId: this.options.groupId, err: event.payload.error.message, restart: event.payload.restart }, 'consumer crashed');
    });
    return consumer;
  }

  /**
   * Commits with a few quick retries: right after a group forms, the coordinator can answer
   * NOT_COORDINATOR once, and the stored batch should not wait for a redelivery to be committed.
   * It goes through the batch's own commit function: `consumer.commitOffsets` silently does
   * nothing once `stop()` was called, which would drop the commit of the batch a stop waits for.
   */
  private async commit(commitOffsets: (offsets: Offsets) => Promise<void>, topic: string, partition: number, offset: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await commitOffsets({ topics: [{ topic, partitions: [{ partition, offset }] }] });
        return;
      } catch (err) {
        const retriable = (err as { retriable?: boolean }).retriable === true;
        if (!retriable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private async rebuild(): Promise<void> {
    const old = this.consumer;
    const stopped = Promise.resolve()
      .then(() => old.stop())
      .then(() => old.disconnect())
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'stalled consumer did not stop cleanly'));
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (!this.running) return;
    this.consumer = this.build();
    this.lastFetchAt = Date.now();
    await this.run(this.consumer).catch((err: Error) => this.logger.warn({ err: err.message }, 'consumer restart failed; will retry'));
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        const messages = batch.messages.map((m) => ({
          offset: BigInt(m.offset),
          key: m.key,
          value: m.value,
          timestamp: Number(m.timestamp),
        }));
        this.logger.debug({ partition: batch.partition, first: batch.firstOffset(), size: messages.length }, 'batch start');
        this.batchesInFlight += 1;
        this.batchSince ??= Date.now();
        const keepalive = setInterval(() => {
          heartbeat()
            .then(() => (this.batchSince = Date.now()))
            .catch((err: Error) => this.logger.warn({ partition: batch.partition, err: err.message }, 'heartbeat failed while a batch waits'));
        }, KEEPALIVE_MS);
        try {
          await this.handler!({ topic: batch.topic, partition: batch.partition, messages });
          const last = batch.messages[batch.messages.length - 1]!.offset;
          resolveOffset(last);
          await this.commit(commitOffsetsIfNecessary, batch.topic, batch.partition, (BigInt(last) + 1n).toString());
          this.logger.debug({ partition: batch.partition }, 'batch committed');
        } catch (err) {
          this.logger.warn({ partition: batch.partition, err: (err as Error).message }, 'batch failed; it will be delivered again');
          throw err;
        } finally {
          clearInterval(keepalive);
          this.batchesInFlight -= 1;
          if (this.batchesInFlight === 0) this.batchSince = undefined;
          this.lastFetchAt = Date.now();
        }
      },
    });
  }
}
