import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { decodeEvent, EventDecodeError } from '@clickstream/events';
import type { BatchOutcome, ConsumedBatch } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, LOGGER } from '@clickstream/platform';
import { SeenIds, StreamProcessor } from '@clickstream/stream';
import { AggregatorMetrics } from '../metrics/aggregator-metrics.js';
import { WindowPublisher } from '../publish/window-publisher.js';
import { InsertBuffer } from '../sink/insert-buffer.js';
import { deduplicationToken, RollupSink, storedEvent, type StoredEvent } from '../sink/rollup-sink.js';

/** Live windows: 1 second for the live view, 1 minute for the last half hour. */
const WINDOW_SIZES_MS = [1000, 60_000] as const;
/** How long past the watermark a final window stays in memory, so late events still update it live. */
const LIVE_RETENTION_MS = 120_000;
/** How long a retried event (same id) is recognised, and how many ids a partition remembers. */
const DUPLICATE_WINDOW_MS = 3_600_000;
const MAX_SEEN_IDS = 200_000;
/** At most this many stored events are replayed into the stream core when a partition is taken over. */
const MAX_RESTORED_EVENTS = 500_000;
/** Offsets below a partition's newest stored one whose inserts are sent again on load: a few inserts' worth. */
const REPAIR_ROWS_BACK = 2000;
/**
 * A partition taken over from another live member is loaded this long after the assignment:
 * the previous owner stores what it handled before it rejoins when it is busy, and starts
 * storing it at the rebalance when it is idle; this covers that last insert.
 */
const TAKEOVER_GRACE_MS = 3000;
/** How often a partition being loaded asks the server whether an insert of its rows still runs, and how often it says it waits. */
const RUNNING_INSERT_POLL_MS = 100;
const RUNNING_INSERT_WARN_MS = 10_000;
/** Rows handled but not stored yet, at most (the consumer waits beyond): at least this many, or 4 full inserts' worth. */
const MIN_UNSTORED_ROWS = 20_000;

export interface StorageState {
  up: boolean;
  since: number;
}

/**
 * Turns consumed batches into stored rows and live window updates. Per batch: skip what was
 * handled or stored already, drop retried duplicates, run the stream core (sessions,
 * lateness, windows), and buffer the rows for one deduplicated insert. It returns at once,
 * so the partition's next batch (and the live view) does not wait for ClickHouse; the batch
 * is committed when its `durable` promise resolves. If handling fails, the partition's
 * in-memory state is dropped, once everything buffered is stored, and rebuilt from ClickHouse
 * before the batch is seen again.
 */
@Injectable()
export class AggregationService {
  readonly stream: StreamProcessor;
  private readonly buffer: InsertBuffer;
  /** Highest offset handled (stored, or buffered for storage), per partition, so a redelivered range is skipped. */
  private readonly handled = new Map<number, bigint>();
  private readonly seen = new Map<number, SeenIds>();
  private readonly loading = new Map<number, Promise<void>>();
  /** Partitions taken over from another member, and when they may be loaded. */
  private readonly takeovers = new Map<number, number>();
  private epoch: number | undefined;
  private storage: StorageState = { up: true, since: Date.now() };
  private storageListener: (state: StorageState) => void = () => undefined;
  private publishing = false;
  private inserts = 0;
  private readonly restoreSpanMs: number;

  constructor(
    private readonly sink: RollupSink,
    private readonly publisher: WindowPublisher,
    private readonly metrics: AggregatorMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const { stream } = config;
    this.stream = new StreamProcessor({
      allowedLatenessMs: stream.allowedLatenessMs,
      sessionGapMs: stream.sessionGapMs,
      windowSizesMs: WINDOW_SIZES_MS,
      retentionMs: LIVE_RETENTION_MS,
      publishIntervalMs: stream.publishIntervalMs,
    });
    // enough history to continue sessions and current visitors (30 min), with the clock skew ingest allows
    this.restoreSpanMs = Math.max(stream.sessionGapMs, 30 * 60_000) + stream.allowedLatenessMs + 2 * config.ingest.clockSkewMs + 60_000;
    this.buffer = new InsertBuffer(
      (rows) => this.store(rows),
      { maxRows: stream.flushRows, maxDelayMs: stream.flushIntervalMs, maxUnstoredRows: Math.max(MIN_UNSTORED_ROWS, 4 * stream.flushRows) },
      {
        onFailure: (err, attempt, retryInMs) => {
          this.metrics.insertFailures.inc();
          this.logger.warn({ err: err.message, attempt, retryInMs }, 'ClickHouse insert failed; consumption paused, retrying');
          this.setStorage(false);
        },
        onRecovered: () => {
          this.logger.info('ClickHouse insert succeeded again; consumption resumed');
          this.setStorage(true);
        },
        onFlushed: (rows, ms) => {
          this.metrics.insertRows.observe(rows);
          this.metrics.insertLatency.observe(ms / 1000);
        },
      },
    );
  }

  /** Told when ClickHouse stops or starts taking inserts (the consumer pauses and resumes on it). */
  onStorageChange(listener: (state: StorageState) => void): void {
    this.storageListener = listener;
  }

  storageState(): StorageState {
    return this.storage;
  }

  /**
   * The group changed: forget partitions we no longer own, so a later takeover reloads them.
   * `shared`: this member does not own every partition (other members are alive).
   * Safe only because kafkajs finishes every batch in flight before it rejoins and reports
   * the new assignment (no batch of a revoked partition is still running here), and the
   * consumer drained the insert buffer before rejoining (see BatchConsumer).
   */
  onAssignment(partitions: readonly number[], shared: boolean): void {
    const owned = new Set(partitions);
    for (const p of [...this.handled.keys()]) if (!owned.has(p)) this.release(p);
    this.takeovers.clear();
    // with other members in the group, a partition new to this one may come from a live member
    if (shared) for (const p of partitions) if (!this.handled.has(p)) this.takeovers.set(p, Date.now() + TAKEOVER_GRACE_MS);
  }

  async process(batch: ConsumedBatch): Promise<BatchOutcome> {
    const { topic, partition } = batch;
    await this.load(topic, partition);
    // backpressure: ClickHouse slower than Kafka holds the consumer here, not the memory
    await this.buffer.room();
    const handledUpTo = this.handled.get(partition);
    const seen = this.seen.get(partition);
    // released while this batch waited for room (a failure, a new assignment): load again
    if (handledUpTo === undefined || seen === undefined) return this.process(batch);

    const rows: StoredEvent[] = [];
    let lastReceivedAt: number | undefined;
    const undecodable: { partition: number; offset: bigint; value: Buffer | null; reason: string }[] = [];
    try {
      for (const m of batch.messages) {
        if (m.offset <= handledUpTo) {
          this.metrics.duplicates.inc({ reason: 'stored offset' });
          continue;
        }
        let event;
        try {
          event = decodeEvent(m.value);
        } catch (err) {
          if (!(err instanceof EventDecodeError)) throw err;
          this.logger.warn({ topic, partition, offset: m.offset.toString(), detail: err.detail }, 'undecodable record sent to the dead-letter topic');
          undecodable.push({ partition, offset: m.offset, value: m.value, reason: err.message });
          continue;
        }
        if (seen.has(event.id)) {
          this.metrics.duplicates.inc({ reason: 'event id' });
          this.logger.debug({ partition, offset: m.offset.toString(), id: event.id }, 'duplicate event skipped');
          continue;
        }
        const facts = this.stream.process(partition, m.offset, event);
        if (!facts) continue;
        if (facts.late) this.metrics.lateEvents.inc();
        // remembered at once: the next batches are handled before these rows are stored (a failure reloads the partition)
        seen.checkAndAdd(event.id, event.receivedAt);
        rows.push(storedEvent(event, facts, topic, partition, m.offset));
        lastReceivedAt = event.receivedAt;
      }
      // before the insert: once the rows are stored, a redelivery would skip these offsets
      if (undecodable.length > 0) {
        await this.publisher.deadLetter(undecodable);
        this.metrics.deadLettered.inc(undecodable.length);
      }
    } catch (err) {
      // the stream core has counted rows that are not buffered: rebuild the partition from storage
      this.release(partition);
      throw err;
    }
    const last = batch.messages[batch.messages.length - 1];
    if (last && last.offset > handledUpTo) this.handled.set(partition, last.offset);
    if (lastReceivedAt !== undefined) seen.evict(lastReceivedAt);
    const durable = this.buffer.add(rows).then(
      () => {
        const byKind = { pageview: 0, event: 0, engagement: 0, bot: 0 };
        for (const r of rows) byKind[r.kind] += 1;
        for (const [type, n] of Object.entries(byKind)) if (n > 0) this.metrics.processed.inc({ type }, n);
      },
      (err: Error) => {
        this.release(partition);
        throw err;
      },
    );
    return { durable };
  }

  /** Publishes the windows due at `now` (every publish interval, and at shutdown). */
  async publishDue(now: number): Promise<void> {
    if (this.publishing) return;
    this.publishing = true;
    try {
      const updates = this.stream.updates(now);
      if (updates.length > 0) {
        await this.publisher.publishWindows(updates);
        this.stream.acknowledge(updates, now);
      }
      this.metrics.windowsOpen.set(this.stream.openWindows());
      for (const p of this.handled.keys()) {
        const w = this.stream.watermark(p);
        if (w !== undefined) this.metrics.watermark.set({ partition: String(p) }, w / 1000);
      }
    } finally {
      this.publishing = false;
    }
  }

  /** Publishes current visitors per site and partition at `now`. */
  async publishPresence(now: number): Promise<void> {
    const counts = this.stream.presence(now);
    if (counts.length > 0) await this.publisher.publishPresence(counts);
  }

  /** Sends buffered rows, and from now on every row, without waiting for the flush interval (shutdown, rebalance). */
  flush(): void {
    this.buffer.flush();
  }

  /** Back to gathering rows for the flush interval (the rebalance that asked for `flush` is over). */
  gather(): void {
    this.buffer.gather();
  }

  /** Gives up on rows not stored yet (they stay uncommitted and are delivered again). */
  stopStoring(): void {
    this.buffer.stop();
  }

  private async store(rows: readonly StoredEvent[]): Promise<void> {
    this.epoch ??= await this.sink.epoch();
    await this.sink.insert(rows, deduplicationToken(this.epoch, rows));
    this.inserts += 1;
    if (this.inserts === this.config.stream.crashAfterInserts) {
      // the crash test's failpoint: stored in ClickHouse, not committed to Kafka
      this.logger.warn({ inserts: this.inserts }, 'AGGREGATOR_CRASH_AFTER_INSERTS reached: killing this process before the commit');
      process.kill(process.pid, 'SIGKILL');
    }
  }

  private setStorage(up: boolean): void {
    if (this.storage.up === up) return;
    this.storage = { up, since: Date.now() };
    this.metrics.storageUp.set(up ? 1 : 0);
    this.storageListener(this.storage);
  }

  private release(partition: number): void {
    this.handled.delete(partition);
    this.seen.delete(partition);
    this.stream.release(partition);
  }

  /** Loads what storage holds for a partition this instance has not seen yet (start, takeover, or after a failure). */
  private async load(topic: string, partition: number): Promise<void> {
    if (this.handled.has(partition)) return;
    let loading = this.loading.get(partition);
    if (!loading) {
      // the state is read from storage once every row handled before is stored in it
      loading = this.buffer
        .stored()
        .then(() => this.loadFromStorage(topic, partition))
        .finally(() => this.loading.delete(partition));
      this.loading.set(partition, loading);
    }
    await loading;
  }

  /**
   * Waits while the ClickHouse server still runs an insert with rows of the partition: one sent by
   * an aggregator killed before the answer, or by a previous owner whose insert outlasted its
   * drain. The partition's stored progress is read only after it landed (see RELIABILITY.md).
   */
  private async awaitRunningInserts(topic: string, partition: number): Promise<void> {
    const since = Date.now();
    let warnedAt = since;
    const running = (): Promise<number> =>
      this.sink.runningInserts(topic, partition).catch((err: Error) => {
        // a ClickHouse user not allowed to read system.processes: load as before, and say what is lost
        if (!/ACCESS_DENIED|Not enough privileges/.test(err.message)) throw err;
        this.logger.warn({ topic, partition, err: err.message }, 'cannot see the inserts running on ClickHouse (grant SELECT on system.processes): an insert of a killed aggregator may be stored twice');
        return 0;
      });
    while ((await running()) > 0) {
      if (Date.now() - warnedAt >= RUNNING_INSERT_WARN_MS) {
        warnedAt = Date.now();
        this.logger.warn({ topic, partition, waitedMs: warnedAt - since }, 'partition still waits for an insert another process started');
      }
      await new Promise((r) => setTimeout(r, RUNNING_INSERT_POLL_MS));
    }
    if (Date.now() - since >= RUNNING_INSERT_POLL_MS) this.logger.info({ topic, partition, waitedMs: Date.now() - since }, 'waited for an insert another process started before loading the partition');
  }

  private async loadFromStorage(topic: string, partition: number): Promise<void> {
    const takeoverAt = this.takeovers.get(partition);
    if (takeoverAt !== undefined) {
      this.takeovers.delete(partition);
      const wait = takeoverAt - Date.now();
      if (wait > 0) {
        this.logger.info({ topic, partition, waitMs: wait }, 'partition taken over from another member: letting its last insert land first');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    await this.awaitRunningInserts(topic, partition);
    // then mend an insert a crash may have cut between the raw table and its views
    this.epoch ??= await this.sink.epoch();
    const completed = await this.sink.completeRecentInserts(topic, partition, REPAIR_ROWS_BACK, this.epoch);
    const storedOffset = await this.sink.storedOffset(topic, partition);
    const seen = new SeenIds(DUPLICATE_WINDOW_MS, MAX_SEEN_IDS);
    this.stream.open(partition, storedOffset);
    let restored = 0;
    if (storedOffset >= 0n) {
      for (const r of await this.sink.recentEventIds(topic, partition, DUPLICATE_WINDOW_MS, MAX_SEEN_IDS)) seen.checkAndAdd(r.id, r.receivedAt);
      const events = await this.sink.recentEvents(topic, partition, this.restoreSpanMs, MAX_RESTORED_EVENTS);
      for (const r of events) this.stream.restore(partition, r.offset, r.event, r.facts);
      this.stream.settle(partition);
      restored = events.length;
    }
    this.seen.set(partition, seen);
    this.handled.set(partition, storedOffset);
    this.logger.info({ topic, partition, storedOffset: storedOffset.toString(), restoredEvents: restored, insertsCompleted: completed }, 'partition state loaded');
  }
}
