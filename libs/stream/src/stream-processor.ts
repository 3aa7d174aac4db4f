import { Presence, type PresenceCount } from './presence.js';
import { Sessionizer, type PageView, type SessionFacts } from './sessionizer.js';
import { TimeWindows } from './time-windows.js';
import { WindowMetrics, type StreamEvent } from './window-metrics.js';

/**
 * The stream core: per partition, event-time tumbling windows (1 second for the live view,
 * 1 minute for history), a watermark, sessions and current visitors. It takes records and
 * time and returns facts and window updates; the runtime feeds it, stores, commits and publishes.
 *
 * Delivery guarantee: the runtime delivers records at least once, in offset order per
 * partition; a record at or below the last offset seen for its partition is ignored, so a
 * redelivery never counts twice. After a restart the runtime restores the partition from
 * stored records (`restore`), with the session facts they were stored with.
 *
 * Event time: each partition keeps a watermark, the newest event time it has seen minus the
 * allowed lateness. A window is final once the watermark passes its end; it is published once
 * more then. An event older than the watermark is late: it still counts (into its window if
 * that is still in memory, and always into storage) and is flagged, never dropped.
 */

export interface StreamProcessorOptions {
  allowedLatenessMs: number;
  /** Inactivity that ends a session. */
  sessionGapMs: number;
  /** Window sizes, e.g. [1000, 60_000]. */
  windowSizesMs: readonly number[];
  /** How long a final window stays in memory past the watermark, so late events still update it. */
  retentionMs: number;
  /** An open window is published at most this often. */
  publishIntervalMs: number;
}

export interface EventFacts extends SessionFacts {
  /** The event time was older than the partition's watermark when it arrived. */
  late: boolean;
}

export interface WindowUpdateOut {
  site: string;
  partition: number;
  windowStart: number;
  windowSizeMs: number;
  /** Offset of the newest event counted in this partial: a receiver keeps the newest. */
  offset: bigint;
  final: boolean;
  metrics: WindowMetrics;
}

export interface PresenceOut extends PresenceCount {
  partition: number;
  /** The time the counts are for. */
  at: number;
}

interface WindowState {
  site: string;
  windowStart: number;
  sizeMs: number;
  metrics: WindowMetrics;
  offset: bigint;
  final: boolean;
  dirty: boolean;
  publishedAt: number | undefined;
}

interface PartitionState {
  lastOffset: bigint;
  maxEventTime: number;
  sessions: Sessionizer;
  presence: Presence;
  windows: Map<string, WindowState>;
  lateEvents: number;
  /** Watermark, in units of the smallest window, when windows were last checked for closing. */
  closeTick: number;
  /** Events whose window had already left memory: stored, not shown live. */
  expiredEvents: number;
}

export class StreamProcessor {
  private readonly sizes: TimeWindows[];
  private readonly smallestMs: number;
  private readonly partitions = new Map<number, PartitionState>();

  constructor(private readonly options: StreamProcessorOptions) {
    if (options.windowSizesMs.length === 0) throw new RangeError('at least one window size is needed');
    this.sizes = options.windowSizesMs.map((s) => TimeWindows.of(s));
    this.smallestMs = Math.min(...options.windowSizesMs);
  }

  has(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** Starts a partition empty, continuing after `lastOffset` (what storage already holds). */
  open(partition: number, lastOffset: bigint): void {
    this.partitions.set(partition, {
      lastOffset,
      maxEventTime: -Infinity,
      sessions: new Sessionizer(this.options.sessionGapMs),
      presence: new Presence(),
      windows: new Map(),
      lateEvents: 0,
      closeTick: -Infinity,
      expiredEvents: 0,
    });
  }

  /** Forgets a partition this instance no longer owns. */
  release(partition: number): void {
    this.partitions.delete(partition);
  }

  lastOffset(partition: number): bigint | undefined {
    return this.partitions.get(partition)?.lastOffset;
  }

  watermark(partition: number): number | undefined {
    const state = this.partitions.get(partition);
    return state && Number.isFinite(state.maxEventTime) ? state.maxEventTime - this.options.allowedLatenessMs : undefined;
  }

  lateEvents(partition: number): number {
    return this.partitions.get(partition)?.lateEvents ?? 0;
  }

  expiredEvents(partition: number): number {
    return this.partitions.get(partition)?.expiredEvents ?? 0;
  }

  openWindows(): number {
    let n = 0;
    for (const state of this.partitions.values()) for (const w of state.windows.values()) if (!w.final) n += 1;
    return n;
  }

  /** Counts one event; returns its session and lateness facts, or undefined when the offset was already counted. */
  process(partition: number, offset: bigint, event: StreamEvent): EventFacts | undefined {
    const state = this.state(partition);
    if (offset <= state.lastOffset) return undefined;
    const late = Number.isFinite(state.maxEventTime) && event.eventTime < state.maxEventTime - this.options.allowedLatenessMs;
    if (event.type === 'engagement') {
      // stored with its session's facts, counted nowhere: no window, session, visitor or watermark moves
      state.lastOffset = offset;
      return { ...state.sessions.peek(event.site, event.visitorId, event.id, event.eventTime), late };
    }
    const session = state.sessions.assign(event.site, event.visitorId, event.id, event.eventTime, pageOf(event));
    const facts = { ...session, late };
    this.count(state, partition, offset, event, facts);
    return facts;
  }

  /** Replays a stored event with the facts it was stored with (rebuilding a partition after a restart or takeover). */
  restore(partition: number, offset: bigint, event: StreamEvent, facts: EventFacts): void {
    const state = this.state(partition);
    if (event.type === 'engagement') {
      if (offset > state.lastOffset) state.lastOffset = offset;
      return;
    }
    state.sessions.restore(event.site, event.visitorId, event.eventTime, pageOf(event), facts);
    this.count(state, partition, offset, event, facts);
  }

  /**
   * Ends a restore: windows the restored events closed were published by the previous owner,
   * so they are not published again; open windows are (their last update may have been held back).
   */
  settle(partition: number): void {
    const state = this.partitions.get(partition);
    if (!state) return;
    for (const [k, w] of state.windows) {
      if (!w.final) continue;
      if (this.isExpired(state, w.sizeMs, w.windowStart)) state.windows.delete(k);
      else w.dirty = false;
    }
  }

  /**
   * Windows to publish at `now` (processing time, for the rate limit only): final windows
   * not yet published as final, and open windows that changed, at most every publishIntervalMs.
   */
  updates(now: number): WindowUpdateOut[] {
    const out: WindowUpdateOut[] = [];
    for (const [partition, state] of this.partitions) {
      for (const w of state.windows.values()) {
        if (!w.dirty) continue;
        if (!w.final && w.publishedAt !== undefined && now - w.publishedAt < this.options.publishIntervalMs) continue;
        out.push({ site: w.site, partition, windowStart: w.windowStart, windowSizeMs: w.sizeMs, offset: w.offset, final: w.final, metrics: w.metrics });
      }
    }
    return out.sort((a, b) => a.windowSizeMs - b.windowSizeMs || a.windowStart - b.windowStart || a.partition - b.partition);
  }

  /** Marks updates as published at `now`; a window that changed meanwhile stays due. Evicts what is final and old. */
  acknowledge(published: readonly WindowUpdateOut[], now: number): void {
    for (const u of published) {
      const w = this.partitions.get(u.partition)?.windows.get(key(u.windowSizeMs, u.windowStart, u.site));
      if (!w) continue;
      w.publishedAt = now;
      if (w.offset === u.offset && w.final === u.final) w.dirty = false;
    }
    for (const state of this.partitions.values()) {
      for (const [k, w] of state.windows) if (!w.dirty && w.final && this.isExpired(state, w.sizeMs, w.windowStart)) state.windows.delete(k);
    }
  }

  /** Current visitors per site and partition at `now`; `now` is never earlier than the partition's stream time. */
  presence(now: number): PresenceOut[] {
    const out: PresenceOut[] = [];
    for (const [partition, state] of this.partitions) {
      const at = Math.max(now, Number.isFinite(state.maxEventTime) ? state.maxEventTime : now);
      for (const c of state.presence.counts(at)) out.push({ ...c, partition, at });
    }
    return out;
  }

  private state(partition: number): PartitionState {
    if (!this.partitions.has(partition)) this.open(partition, -1n);
    return this.partitions.get(partition)!;
  }

  private count(state: PartitionState, partition: number, offset: bigint, event: StreamEvent, facts: EventFacts): void {
    if (offset > state.lastOffset) state.lastOffset = offset;
    if (facts.late) state.lateEvents += 1;
    if (!event.isBot) state.presence.see(event.site, event.visitorId, event.eventTime);
    for (const size of this.sizes) {
      const windowStart = size.startOf(event.eventTime);
      const k = key(size.sizeMs, windowStart, event.site);
      let w = state.windows.get(k);
      if (!w) {
        if (this.isExpired(state, size.sizeMs, windowStart)) {
          state.expiredEvents += 1;
          continue;
        }
        w = { site: event.site, windowStart, sizeMs: size.sizeMs, metrics: new WindowMetrics(), offset, final: false, dirty: true, publishedAt: undefined };
        state.windows.set(k, w);
      }
      w.metrics.add(event, facts);
      if (offset > w.offset) w.offset = offset;
      w.dirty = true;
    }
    if (event.eventTime > state.maxEventTime) {
      state.maxEventTime = event.eventTime;
      this.closeWindows(state);
      state.sessions.evict(state.maxEventTime - this.options.sessionGapMs - this.options.allowedLatenessMs);
    }
  }

  private isExpired(state: PartitionState, sizeMs: number, windowStart: number): boolean {
    return windowStart + sizeMs + this.options.retentionMs <= state.maxEventTime - this.options.allowedLatenessMs;
  }

  private closeWindows(state: PartitionState): void {
    const watermark = state.maxEventTime - this.options.allowedLatenessMs;
    // windows can only close when the watermark crosses a boundary of the smallest window
    const tick = Math.floor(watermark / this.smallestMs);
    if (tick === state.closeTick) return;
    state.closeTick = tick;
    for (const w of state.windows.values()) {
      if (!w.final && w.windowStart + w.sizeMs <= watermark) {
        w.final = true;
        w.dirty = true;
      }
    }
  }
}

/** A page view's path and source, as the sessions keep them; null for other events. */
const pageOf = (event: StreamEvent): PageView | null =>
  event.type === 'pageview'
    ? { path: event.path, referrer: event.referrerDomain ?? '', utmSource: event.utm.source ?? '', utmMedium: event.utm.medium ?? '', utmCampaign: event.utm.campaign ?? '' }
    : null;

const key = (sizeMs: number, windowStart: number, site: string): string => `${sizeMs}|${windowStart}|${site}`;
