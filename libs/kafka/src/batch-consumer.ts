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
  /**
   * How a fetch waits for data (default: answer with the first byte, or after 500 ms). Under
   * load, waiting for more bytes gives fewer and larger fetches: less work for the broker and
   * for the handler per event, for at most `maxWaitMs` of latency.
   */
  fetch?: {
    minBytes: number;
    maxWaitMs: number;
    /**
     * Least time between the starts of two fetches: a batch handled sooner holds the next fetch
     * back for the rest. With minBytes 1 and a long maxWaitMs, an idle member makes one fetch per
     * maxWaitMs and an event arriving alone is fetched at once, while under load each fetch
     * carries this long's worth of records.
     */
    minIntervalMs?: number;
  };
  /**
   * Pipelined handlers: asked to make everything handled so far durable soon, because this
   * member is about to rejoin its group (a rebalance) or to stop; their batches are committed
   * before it does, so no partition moves on with effects still on the way.
   */
  onDrain?: () => void;
  /** The drain is over (the member rejoined or gave up waiting). */
  onDrained?: () => void;
}

/**
 * What a pipelined handler returns once it has handled a batch: `durable` settles when the
 * batch's effects are stored. The consumer moves on to the next batches at once and commits
 * this one when `durable` resolves. `durable` may reject only once the handler's owner is
 * stopping (its effects are then dropped and the batch is delivered again after a restart).
 */
export interface BatchOutcome {
  durable: Promise<void>;
}

/** A handler that returns nothing is done with the batch when it returns: the batch is committed then. */
export type BatchHandler = (batch: ConsumedBatch) => Promise<BatchOutcome | void>;

/** While a handler waits (for storage, say), the member keeps heartbeating this often, so the group keeps it. */
const KEEPALIVE_MS = 2000;
/** Longest wait for pipelined batches to become durable before a rejoin (within the rebalance timeout). */
const REBALANCE_DRAIN_MS = 15_000;

function isRebalancing(err: unknown): boolean {
  const type = (err as { type?: string }).type;
  return type === 'REBALANCE_IN_PROGRESS' || type === 'NOT_COORDINATOR_FOR_GROUP' || type === 'ILLEGAL_GENERATION';
}

/**
 * Runs a consumer group with manual commits: a batch's offsets are committed only after
 * the handler returned, or, for a pipelined handler, once the batch it handled is durable,
 * so a crash in between redelivers the batch (at-least-once); handlers make redelivery
 * harmless. A pipelined partition's commits follow its batches' order.
 *
 * Before a pipelined member rejoins for a rebalance, it waits for what it handled to be
 * durable and committed, so the partition's next owner starts from stored state. The wait
 * starts when a heartbeat of a batch reports the rebalance; a member without traffic learns
 * of it from its own fetch loop and only asks the handler to drain (see RELIABILITY.md).
 *
 * kafkajs can leave a consumer silent after its only broker restarts (tulios/kafkajs#267,
 * #659), so a watchdog rebuilds the member when it has not fetched for `stallMs`.
 */
export class BatchConsumer {
  private consumer: Consumer;
  private handler: BatchHandler | undefined;
  private running = false;
  private lastFetchAt = Date.now();
  /** When the latest fetch started (for the fetch pace). */
  private fetchStartedAt = 0;
  /** When the batch in progress started or last heartbeated successfully, if one is in progress. */
  private batchSince: number | undefined;
  private batchesInFlight = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> | undefined;
  private markJoined: () => void = () => undefined;
  /** Per partition, the commit of its latest pipelined batch (each waits for the ones before). */
  private readonly commits = new Map<string, Promise<boolean>>();
  /**
   * Per partition, how many pipelined batches were handed out and the newest of them known to be
   * durable: a durable batch whose successor is durable too leaves the commit to it (one commit per
   * insert and partition instead of one per batch).
   */
  private readonly handedOut = new Map<string, number>();
  private readonly newestDurable = new Map<string, number>();
  /** Pipelined batches handled and not yet durable and committed (or given up). */
  private outstanding = 0;
  private settledWaiters: (() => void)[] = [];
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

  /**
   * Stops fetching, lets the batch in progress finish, waits for pipelined batches to be
   * durable and committed (the group must still know this member for the commits), and leaves.
   */
  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    const wasRunning = this.running;
    if (wasRunning) {
      this.pause();
      this.options.onDrain?.();
      await this.settled();
    }
    this.running = false;
    await this.rebuilding;
    if (wasRunning) await this.consumer.stop();
    await this.consumer.disconnect();
    // batches handled while the stop waited for the one in progress
    await this.settled();
  }

  /** Resolves once every pipelined batch handled so far is committed or given up. */
  settled(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
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
      // heartbeats go out between fetches: a member's maxWaitMs stays well below this
      sessionTimeout: 10_000,
      heartbeatInterval: 3000,
      rebalanceTimeout: 20_000,
      // a fetch returns once minBytes are there, or after this long; a stop waits for the fetch in flight
      maxWaitTimeInMs: this.options.fetch?.maxWaitMs ?? 500,
      minBytes: this.options.fetch?.minBytes ?? 1,
      retry: { retries: 5, restartOnFailure: async () => true },
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.lastFetchAt = Date.now();
      const assignment = event.payload.memberAssignment;
      this.logger.info({ groupId: this.options.groupId, assignment }, 'joined consumer group');
      this.options.onAssignment?.(assignment);
      this.markJoined();
    });
    consumer.on(consumer.events.FETCH_START, () => (this.lastFetchAt = this.fetchStartedAt = Date.now()));
    // seen by the fetch loop (no batch of ours in flight): kafkajs rejoins without waiting, the drain goes on meanwhile
    consumer.on(consumer.events.REBALANCING, () => void this.drainForRebalance());
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

  /** Commits a pipelined batch once it is durable and every earlier batch of its partition is committed. */
  private commitWhenDurable(durable: Promise<void>, commitOffsets: (offsets: Offsets) => Promise<void>, topic: string, partition: number, offset: string): void {
    const key = `${topic}:${partition}`;
    const previous = this.commits.get(key) ?? Promise.resolve(false);
    const sequence = (this.handedOut.get(key) ?? 0) + 1;
    this.handedOut.set(key, sequence);
    this.outstanding += 1;
    // handled below, once the earlier batches are: not an unhandled rejection meanwhile
    durable.then(
      () => this.newestDurable.set(key, Math.max(this.newestDurable.get(key) ?? 0, sequence)),
      () => undefined,
    );
    // the chain carries whether an earlier batch of the partition failed to become durable
    const committed = previous.then(async (failedBefore) => {
      try {
        await durable;
      } catch (err) {
        this.logger.warn({ topic, partition, offset, err: (err as Error).message }, 'batch not stored; not committed, delivered again');
        if (this.running && !failedBefore) this.restartFromCommitted();
        return true;
      }
      // never commit past a batch that was not stored
      if (failedBefore) return true;
      // a later batch of the partition is durable already (batches stored by one insert become durable
      // together; a turn of the event loop lets the others report): its commit, next in this chain, covers this one
      await new Promise((resolve) => setImmediate(resolve));
      if ((this.newestDurable.get(key) ?? 0) > sequence && this.running) return false;
      try {
        await this.commit(commitOffsets, topic, partition, offset);
        this.logger.debug({ partition, offset }, 'batch durable and committed');
      } catch (err) {
        // harmless: the next commit of the partition covers this one, a redelivery is skipped by the handler
        this.logger.warn({ topic, partition, offset, err: (err as Error).message }, 'commit of a durable batch failed');
      }
      return false;
    });
    void committed.finally(() => {
      this.outstanding -= 1;
      if (this.outstanding === 0) for (const w of this.settledWaiters.splice(0)) w();
    });
    this.commits.set(key, committed);
  }

  /**
   * A pipelined batch's own heartbeat: when it reports a rebalance, waits (bounded) for the
   * batches handled so far to be durable and committed before kafkajs rejoins.
   */
  private async heartbeatOrDrain(heartbeat: () => Promise<void>): Promise<void> {
    try {
      await heartbeat();
    } catch (err) {
      if (isRebalancing(err)) await this.drainForRebalance();
      throw err;
    }
  }

  /** Asks the handler to drain and waits (bounded) until what it handled is durable and committed. */
  private async drainForRebalance(): Promise<void> {
    if (this.outstanding === 0) return;
    this.logger.info({ groupId: this.options.groupId, outstanding: this.outstanding }, 'rebalancing: storing and committing what was handled');
    this.options.onDrain?.();
    await Promise.race([this.settled(), new Promise((r) => setTimeout(r, REBALANCE_DRAIN_MS).unref())]);
    this.options.onDrained?.();
  }

  /** A handled batch was not stored while running: fetch again from the committed offsets. */
  private restartFromCommitted(): void {
    if (this.rebuilding) return;
    this.logger.warn({ groupId: this.options.groupId }, 'restarting the member from its committed offsets');
    this.rebuilding = this.rebuild().finally(() => (this.rebuilding = undefined));
  }

  private async rebuild(): Promise<void> {
    const old = this.consumer;
    const stopped = Promise.resolve()
      .then(() => old.stop())
      .then(() => old.disconnect())
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'stalled consumer did not stop cleanly'));
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (!this.running) return;
    // the old member's pending commits may fail; the new one starts from the committed offsets
    // and the handler skips what it already handled
    this.commits.clear();
    this.handedOut.clear();
    this.newestDurable.clear();
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
          const outcome = await this.handler!({ topic: batch.topic, partition: batch.partition, messages });
          const last = batch.messages[batch.messages.length - 1]!.offset;
          const next = (BigInt(last) + 1n).toString();
          resolveOffset(last);
          if (outcome) {
            this.commitWhenDurable(outcome.durable, commitOffsetsIfNecessary, batch.topic, batch.partition, next);
            await this.heartbeatOrDrain(heartbeat);
          } else {
            await this.commit(commitOffsetsIfNecessary, batch.topic, batch.partition, next);
            this.logger.debug({ partition: batch.partition }, 'batch committed');
          }
          // the fetch pace: this fetch's batches hold the next one back until the interval is over
          const pace = this.fetchStartedAt + (this.options.fetch?.minIntervalMs ?? 0) - Date.now();
          if (pace > 0 && isRunning()) await new Promise((resolve) => setTimeout(resolve, pace));
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
