import type { StoredEvent } from './rollup-sink.js';

export interface InsertBufferOptions {
  /** Flush once this many rows are buffered... */
  maxRows: number;
  /** ...or once the oldest buffered row has waited this long. */
  maxDelayMs: number;
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
 * Gathers the rows of several consumed batches (from all partitions this instance owns) into
 * one ClickHouse insert: at least `maxRows` rows or one `maxDelayMs`, whichever comes first,
 * so steady load gives about one insert per second. Each `add` resolves only once its rows
 * are stored, and the consumer commits only then.
 *
 * A failed insert is retried with the very same rows (hence the same deduplication token),
 * with backoff, until it succeeds or the buffer is stopped: a ClickHouse outage holds the
 * batches, and the commits, until it is over.
 */
export class InsertBuffer {
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;
  private wakeRetry: (() => void) | undefined;

  constructor(
    private readonly write: Write,
    private readonly options: InsertBufferOptions,
    private readonly hooks: InsertBufferHooks = {},
  ) {}

  /** Buffers rows; resolves when they are stored, rejects when the buffer stops first. */
  add(rows: readonly StoredEvent[]): Promise<void> {
    if (this.stopping) return Promise.reject(new InsertBufferStoppedError());
    if (rows.length === 0) return Promise.resolve();
    const pending = (this.pending ??= { rows: [], waiters: [] });
    pending.rows.push(...rows);
    const stored = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    if (pending.rows.length >= this.options.maxRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.maxDelayMs);
    return stored;
  }

  /** Sends what is buffered now (at shutdown, so the in-flight batches finish without waiting for the timer). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = undefined;
    if (!batch) return;
    this.chain = this.chain.then(() => this.store(batch));
  }

  /** Stops retrying: rows not stored yet are rejected (they stay uncommitted in Kafka). */
  stop(): void {
    this.stopping = true;
    this.wakeRetry?.();
  }

  private async store(batch: Pending): Promise<void> {
    const started = Date.now();
    let delay = this.options.backoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(batch.rows);
        if (attempt > 1) this.hooks.onRecovered?.();
        this.hooks.onFlushed?.(batch.rows.length, Date.now() - started);
        for (const w of batch.waiters) w.resolve();
        return;
      } catch (err) {
        if (this.stopping) {
          for (const w of batch.waiters) w.reject(new InsertBufferStoppedError());
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
