import type { StoredEvent } from './rollup-sink.js';

export interface InsertBufferOptions {
  /** Flush once this many rows are buffered... */
  maxRows: number;
  /** ...or once the oldest buffered row has waited this long. */
  maxDelayMs: number;
  /** `room()` waits while more rows than this are not stored yet (buffered or being inserted). */
  maxUnstoredRows: number;
  /** First retry delay after a failed insert; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export interface InsertBufferHooks {
  /** An insert failed; it is retried after `retryInMs` (ClickHouse is treated as unavailable). */
  onFailure?(err: Error, attempt: number, retryInMs: number): void;
  /** An insert succeeded after failures. */
  onRecovered?(): void;
  onFlushed?(rows: number, ms: number): void;
}

type Write = (rows: readonly StoredEvent[]) => Promise<void>;

interface Pending {
  rows: StoredEvent[];
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

export class InsertBufferStoppedError extends Error {
  constructor() {
    super('the aggregator is stopping: buffered rows were not stored and will be delivered again');
    this.name = 'InsertBufferStoppedError';
  }
}

/**
 * Gathers the rows of many consumed batches (from all partitions this instance owns) into
 * one ClickHouse insert at a time: the rows wait for `maxRows` or `maxDelayMs`, whichever
 * comes first, and for the insert in flight; under load, every insert takes all the rows
 * that arrived during the previous one, so inserts grow instead of queueing up and steady
 * load stays near one insert per second. `add` resolves once its rows are stored.
 *
 * A failed insert is retried with the very same rows (hence the same deduplication token),
 * with backoff, until it succeeds or the buffer is stopped: the promises of `add` reject
 * only after `stop()`.
 */
export class InsertBuffer {
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The pending rows go out as soon as no insert is in flight. */
  private due = false;
  /** From `flush()` on (shutdown), every row goes out without waiting. */
  private draining = false;
  private inFlight: Promise<void> | undefined;
  private unstored = 0;
  private roomWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** The promise of the latest `add` with rows: when it settles, every earlier one has. */
  private lastAdded: Promise<void> | undefined;
  private stopping = false;
  private wakeRetry: (() => void) | undefined;

  constructor(
    private readonly write: Write,
    private readonly options: InsertBufferOptions,
    private readonly hooks: InsertBufferHooks = {},
  ) {}

  /** Rows buffered or being inserted. */
  get unstoredRows(): number {
    return this.unstored;
  }

  /** Buffers rows; resolves when they are stored, rejects when the buffer stops first. */
  add(rows: readonly StoredEvent[]): Promise<void> {
    if (this.stopping) return Promise.reject(new InsertBufferStoppedError());
    if (rows.length === 0) return Promise.resolve();
    if (!this.pending) {
      this.pending = { rows: [], waiters: [] };
      this.timer = setTimeout(() => this.flush(false), this.options.maxDelayMs);
    }
    const pending = this.pending;
    pending.rows.push(...rows);
    this.unstored += rows.length;
    const stored = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    this.lastAdded = stored;
    if (this.draining || pending.rows.length >= this.options.maxRows) this.due = true;
    this.pump();
    return stored;
  }

  /** Resolves once at most `maxUnstoredRows` rows wait for storage (backpressure for the consumer). */
  room(): Promise<void> {
    if (this.stopping) return Promise.reject(new InsertBufferStoppedError());
    if (this.unstored <= this.options.maxUnstoredRows) return Promise.resolve();
    return new Promise((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
  }

  /**
   * Resolves once every row added so far is stored (or given up at stop), sending the
   * buffered rows without waiting for the timer. Rows are stored in the order they were added.
   */
  stored(): Promise<void> {
    const last = this.lastAdded;
    if (!last) return Promise.resolve();
    if (this.pending) this.due = true;
    this.pump();
    return last.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Sends what is buffered as soon as the insert in flight is done. With `drain` (shutdown, a
   * rebalance), rows added later go out at once too instead of waiting for the timer.
   */
  flush(drain = true): void {
    if (drain) this.draining = true;
    if (this.pending) this.due = true;
    this.pump();
  }

  /** Back to gathering rows (after a rebalance drained the buffer). */
  gather(): void {
    this.draining = false;
  }

  /** Stops retrying: rows not stored yet are rejected (they stay uncommitted in Kafka). */
  stop(): void {
    this.stopping = true;
    this.wakeRetry?.();
    const batch = this.take();
    if (batch) this.settle(batch, new InsertBufferStoppedError());
    for (const w of this.roomWaiters.splice(0)) w.reject(new InsertBufferStoppedError());
  }

  private take(): Pending | undefined {
    const batch = this.pending;
    this.pending = undefined;
    this.due = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    return batch;
  }

  private pump(): void {
    if (this.inFlight || !this.due || !this.pending || this.stopping) return;
    const batch = this.take()!;
    this.inFlight = this.store(batch).finally(() => {
      this.inFlight = undefined;
      if (this.pending && (this.draining || this.pending.rows.length >= this.options.maxRows)) this.due = true;
      this.pump();
    });
  }

  private settle(batch: Pending, err?: Error): void {
    for (const w of batch.waiters) (err ? w.reject(err) : w.resolve());
    this.unstored -= batch.rows.length;
    if (this.unstored <= this.options.maxUnstoredRows) for (const w of this.roomWaiters.splice(0)) w.resolve();
  }

  private async store(batch: Pending): Promise<void> {
    const started = Date.now();
    let delay = this.options.backoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(batch.rows);
        if (attempt > 1) this.hooks.onRecovered?.();
        this.hooks.onFlushed?.(batch.rows.length, Date.now() - started);
        this.settle(batch);
        return;
      } catch (err) {
        if (this.stopping) {
          this.settle(batch, new InsertBufferStoppedError());
          return;
        }
        this.hooks.onFailure?.(err as Error, attempt, delay);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.wakeRetry = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wakeRetry = undefined;
        delay = Math.min(delay * 2, this.options.maxBackoffMs ?? 10_000);
      }
    }
  }
}
