import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from '@clickstream/logger';

/** Which record of a key a table holds: the latest (a compacted topic, where a null value deletes the key) or the first (values agreed on by whoever wrote first). */
export type KeepRule = 'latest' | 'first';

export interface TopicTablesOptions {
  /** Prefix of the consumer group; each instance reads with a group of its own, so every instance sees every record. */
  groupPrefix: string;
  tables: ReadonlyArray<{ topic: string; keep: KeepRule }>;
  /** Longest wait of `catchUp` before it gives up. */
  catchUpTimeoutMs: number;
}

interface Table {
  keep: KeepRule;
  rows: Map<string, string>;
  /** Next offset to read, per partition. */
  next: Map<number, number>;
  /** Catch-up in flight, and the one queued behind it for callers that came later. */
  inFlight: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

/** `work`, or a rejection with `message` once `deadline` (epoch ms) has passed. */
function before<T>(deadline: number, work: Promise<T>, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * How long the reader's fetch waits on the broker for a new record: it returns at once with one,
 * so this sets only how often an idle reader asks (each empty fetch costs the broker CPU), and
 * how long a close may wait for the poll in flight (the reader leaves its group cleanly, so the
 * gateway can delete it).
 */
const READ_WAIT_MS = 2000;
const HEARTBEAT_MS = 10_000;

/**
 * Topics read as tables: every record from the first one, then each new one as it is written,
 * kept in memory by key. A compacted topic is a table: Kafka keeps the latest record of each key,
 * so reading it from the start rebuilds the table on every instance, with no database involved.
 * `catchUp` gives read-your-writes: it waits until everything written before the call was read.
 */
export class TopicTables {
  private readonly tables = new Map<string, Table>();
  private readonly waiters = new Set<() => void>();
  private consumer: Consumer | undefined;
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: TopicTablesOptions,
  ) {
    for (const { topic, keep } of options.tables) this.tables.set(topic, { keep, rows: new Map(), next: new Map(), inFlight: undefined, queued: undefined });
  }

  /** Starts reading every table from its first record; resolves once subscribed, rejects when Kafka cannot be reached. */
  async open(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `${this.options.groupPrefix}-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: READ_WAIT_MS,
      // the group has this one member and never rebalances: a heartbeat only keeps it alive
      // (a third of kafkajs' 30 s session timeout, instead of its default 3 s)
      heartbeatInterval: HEARTBEAT_MS,
    });
    this.consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.tables.keys()], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const table = this.tables.get(topic);
          if (!table) return;
          const key = message.key?.toString();
          if (key !== undefined) this.apply(table, key, message.value?.toString());
          table.next.set(partition, Number(message.offset) + 1);
          for (const wake of this.waiters) wake();
        },
      });
    } catch (err) {
      this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.closed) return;
      this.logger.warn({ err: event.payload.error.message }, 'shared-state reader stopped; opening it again in 5 s');
      this.consumer = undefined;
      setTimeout(() => this.openUntilDone(), 5000).unref();
    });
  }

  /** `open`, retried every 5 s until it succeeds or the tables are closed. */
  openUntilDone(): void {
    if (this.closed || this.consumer) return;
    this.open().catch((err: Error) => {
      if (this.closed) return;
      this.logger.warn({ err: err.message, topics: [...this.tables.keys()] }, 'cannot read the shared-state topics yet; trying again in 5 s');
      setTimeout(() => this.openUntilDone(), 5000).unref();
    });
  }

  get(topic: string, key: string): string | undefined {
    return this.table(topic).rows.get(key);
  }

  keys(topic: string): string[] {
    return [...this.table(topic).rows.keys()];
  }

  /** Drops keys from memory (not from Kafka), for values that must not outlive their use. */
  forget(topic: string, drop: (key: string) => boolean): void {
    const { rows } = this.table(topic);
    for (const key of [...rows.keys()]) if (drop(key)) rows.delete(key);
  }

  /** Writes a record (null deletes the key of a compacted table) and resolves once every in-sync replica has it; rejects after the configured timeout. */
  async put(topic: string, key: string, value: string | null): Promise<void> {
    this.producer ??= this.connected(this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }));
    const producer = await this.producer.catch((err: unknown) => {
      this.producer = undefined;
      throw err;
    });
    // bounded like catchUp: a caller waiting on Kafka must get an answer, not hang
    const deadline = Date.now() + this.options.catchUpTimeoutMs;
    await before(deadline, producer.send({ topic, acks: -1, messages: [{ key, value }] }), () => `${topic} did not acknowledge the write within ${this.options.catchUpTimeoutMs} ms`);
  }

  /**
   * Resolves once every record written to `topic` before this call has been read. Concurrent
   * callers share one round; a caller arriving during a round waits for the next, which starts
   * after it called. Rejects after the configured timeout (Kafka down, or the reader not joined yet).
   */
  catchUp(topic: string): Promise<void> {
    const table = this.table(topic);
    if (!table.inFlight) return this.startRound(topic, table);
    // the round under way may have read the topic's ends before this call: wait for the next one
    table.queued ??= table.inFlight
      .catch(() => undefined)
      .then(() => {
        table.queued = undefined;
        return this.startRound(topic, table);
      });
    return table.queued;
  }

  /** A round that, once settled, is no longer the one in flight: a later call never gets an old outcome. */
  private startRound(topic: string, table: Table): Promise<void> {
    const round: Promise<void> = this.round(topic, table).finally(() => {
      if (table.inFlight === round) table.inFlight = undefined;
    });
    table.inFlight = round;
    return round;
  }

  async close(): Promise<void> {
    this.closed = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    await Promise.allSettled([
      consumer?.disconnect(),
      this.producer?.then((p) => p.disconnect()),
      this.admin?.then((a) => a.disconnect()),
    ]);
  }

  private apply(table: Table, key: string, value: string | undefined): void {
    if (table.keep === 'first') {
      if (value !== undefined && !table.rows.has(key)) table.rows.set(key, value);
    } else if (value === undefined) {
      table.rows.delete(key);
    } else {
      table.rows.set(key, value);
    }
  }

  private async round(topic: string, table: Table): Promise<void> {
    const deadline = Date.now() + this.options.catchUpTimeoutMs;
    const within = <T>(work: Promise<T>): Promise<T> => before(deadline, work, () => `shared state of ${topic} not read within ${this.options.catchUpTimeoutMs} ms`);
    this.admin ??= this.connected(this.kafka.admin());
    const admin = await within(this.admin).catch((err: unknown) => {
      this.admin = undefined;
      throw err;
    });
    const ends = await within(admin.fetchTopicOffsets(topic));
    const done = (): boolean => ends.every((p) => p.low === p.high || (table.next.get(p.partition) ?? 0) >= Number(p.high));
    if (done()) return;
    let wake: (() => void) | undefined;
    try {
      await within(
        new Promise<void>((resolve) => {
          wake = (): void => {
            if (done()) resolve();
          };
          this.waiters.add(wake);
        }),
      );
    } finally {
      if (wake) this.waiters.delete(wake);
    }
  }

  private async connected<T extends { connect(): Promise<void> }>(client: T): Promise<T> {
    await client.connect();
    return client;
  }

  private table(topic: string): Table {
    const table = this.tables.get(topic);
    if (!table) throw new Error(`${topic} is not one of the tables read here`);
    return table;
  }
}
