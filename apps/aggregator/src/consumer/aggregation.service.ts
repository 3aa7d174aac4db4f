import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { decodeEvent, EventDecodeError } from '@clickstream/events';
import type { ConsumedBatch } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, LOGGER } from '@clickstream/platform';
import { PageviewWindows, SeenIds } from '@clickstream/stream';
import { WindowPublisher } from '../publish/window-publisher.js';
import { RollupSink, type StoredEvent } from '../sink/rollup-sink.js';

/** How far back live state is rebuilt from ClickHouse when a partition is taken over. */
const LIVE_RETENTION_MS = 120_000;
/** How long a retried event (same id) is recognised, and how many ids a partition remembers. */
const DUPLICATE_WINDOW_MS = 3_600_000;
const MAX_SEEN_IDS = 200_000;

/**
 * Turns one consumed batch into stored rows and window updates. Order per batch:
 * skip what ClickHouse already holds, insert (deduplicated by offset range), count,
 * publish; the consumer commits only after this returns.
 */
@Injectable()
export class AggregationService {
  private readonly windows: PageviewWindows;
  /** Highest offset known stored, per partition, so a redelivered range is not inserted again. */
  private readonly stored = new Map<number, bigint>();
  private readonly seen = new Map<number, SeenIds>();

  constructor(
    private readonly sink: RollupSink,
    private readonly publisher: WindowPublisher,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.windows = new PageviewWindows({ windowSizeMs: 1000, allowedLatenessMs: config.stream.allowedLatenessMs, retentionMs: LIVE_RETENTION_MS });
  }

  /** The group changed: forget partitions we no longer own, so a later takeover reloads them. */
  onAssignment(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const p of [...this.stored.keys()]) {
      if (!owned.has(p)) {
        this.stored.delete(p);
        this.seen.delete(p);
        this.windows.release(p);
      }
    }
  }

  async process(batch: ConsumedBatch): Promise<void> {
    const { topic, partition } = batch;
    const storedUpTo = await this.storedOffset(topic, partition);
    const seen = this.seen.get(partition)!;

    const rows: StoredEvent[] = [];
    const batchIds = new Set<string>();
    const undecodable: { partition: number; offset: bigint; value: Buffer | null; reason: string }[] = [];
    for (const m of batch.messages) {
      if (m.offset <= storedUpTo) continue;
      try {
        const event = decodeEvent(m.value);
        // remembered only once stored: a failed insert must not turn its retry into "duplicates"
        if (seen.has(event.id) || batchIds.has(event.id)) {
          this.logger.debug({ partition, offset: m.offset.toString(), id: event.id }, 'duplicate event skipped');
          continue;
        }
        batchIds.add(event.id);
        rows.push({ event, topic, partition, offset: m.offset });
      } catch (err) {
        if (!(err instanceof EventDecodeError)) throw err;
        this.logger.warn({ topic, partition, offset: m.offset.toString(), detail: err.detail }, 'undecodable record sent to the dead-letter topic');
        undecodable.push({ partition, offset: m.offset, value: m.value, reason: err.message });
      }
    }
    // before the insert: once the rows are stored, a redelivery would skip these offsets
    if (undecodable.length > 0) await this.publisher.deadLetter(undecodable);
    if (rows.length > 0) {
      await this.sink.insert(rows);
      this.stored.set(partition, rows[rows.length - 1]!.offset);
      for (const r of rows) seen.checkAndAdd(r.event.id, r.event.receivedAt);
      this.logger.debug({ partition, rows: rows.length, first: rows[0]!.offset.toString() }, 'batch stored');
    }

    for (const r of rows) {
      // the live view shows human page views; custom events and bots are stored and counted apart
      if (r.event.type === 'pageview' && !r.event.isBot) this.windows.add(partition, r.offset, { site: r.event.site, eventTime: r.event.eventTime });
    }
    if (rows.length > 0) seen.evict(rows[rows.length - 1]!.event.receivedAt);
    const changes = this.windows.changes();
    if (changes.length > 0) {
      await this.publisher.publish(changes, this.windows.windowSizeMs);
      this.windows.acknowledge(changes);
    }
  }

  private async storedOffset(topic: string, partition: number): Promise<bigint> {
    const known = this.stored.get(partition);
    if (known !== undefined) return known;
    const stored = await this.sink.storedOffset(topic, partition);
    this.stored.set(partition, stored);
    const seen = new SeenIds(DUPLICATE_WINDOW_MS, MAX_SEEN_IDS);
    if (stored >= 0n) for (const r of await this.sink.recentEventIds(topic, partition, DUPLICATE_WINDOW_MS, MAX_SEEN_IDS)) seen.checkAndAdd(r.id, r.receivedAt);
    this.seen.set(partition, seen);
    if (!this.windows.has(partition)) {
      const windows = stored >= 0n ? await this.sink.recentWindows(partition, LIVE_RETENTION_MS) : [];
      this.windows.seed(partition, { lastOffset: stored, windows });
      this.logger.info({ topic, partition, storedOffset: stored.toString(), windows: windows.length }, 'partition state loaded');
    }
    return stored;
  }
}
