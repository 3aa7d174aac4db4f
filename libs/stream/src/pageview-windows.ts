import { TimeWindows } from './time-windows.js';

/**
 * Per-partition running pageview counts in event-time windows.
 *
 * Delivery guarantee: the runtime feeds records at least once; records at or below the
 * last offset seen for a partition are ignored, so a redelivered record never counts twice.
 * Each partition keeps its own watermark (max event time seen minus the allowed lateness);
 * a window is final once the watermark passes its end, and is kept a while longer so a late
 * record still updates its total instead of starting a fresh count.
 */

export interface PageviewRecord {
  site: string;
  eventTime: number;
}

export interface WindowCount {
  site: string;
  partition: number;
  windowStart: number;
  pageviews: number;
  /** Offset of the newest record counted into this window. */
  offset: bigint;
  final: boolean;
}

export interface PartitionSeed {
  /** Highest offset already reflected in `windows`; records at or below it are skipped. */
  lastOffset: bigint;
  windows: { site: string; windowStart: number; pageviews: number; offset: bigint }[];
}

export interface PageviewWindowsOptions {
  windowSizeMs: number;
  allowedLatenessMs: number;
  /** How long past its end a window stays in memory for late records. */
  retentionMs: number;
}

interface WindowState {
  site: string;
  windowStart: number;
  pageviews: number;
  offset: bigint;
  final: boolean;
  dirty: boolean;
}

interface PartitionState {
  lastOffset: bigint;
  maxEventTime: number;
  windows: Map<string, WindowState>;
  /** Records whose window had already left memory: they are stored, not shown live. */
  expiredRecords: number;
}

const key = (site: string, windowStart: number): string => `${windowStart}|${site}`;

export class PageviewWindows {
  private readonly windows: TimeWindows;
  private readonly partitions = new Map<number, PartitionState>();

  constructor(private readonly options: PageviewWindowsOptions) {
    this.windows = TimeWindows.of(options.windowSizeMs);
  }

  get windowSizeMs(): number {
    return this.windows.sizeMs;
  }

  has(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** Starts a partition from stored state (after a restart or a rebalance). */
  seed(partition: number, seed: PartitionSeed): void {
    const state: PartitionState = { lastOffset: seed.lastOffset, maxEventTime: -Infinity, windows: new Map(), expiredRecords: 0 };
    for (const w of seed.windows) {
      state.windows.set(key(w.site, w.windowStart), { ...w, final: false, dirty: false });
      state.maxEventTime = Math.max(state.maxEventTime, this.windows.endOf(w.windowStart) - 1);
    }
    this.partitions.set(partition, state);
    this.closeWindows(state);
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

  expiredRecords(partition: number): number {
    return this.partitions.get(partition)?.expiredRecords ?? 0;
  }

  /** Counts one record; returns false when the offset was already counted. */
  add(partition: number, offset: bigint, record: PageviewRecord): boolean {
    const state = this.partitionState(partition);
    if (offset <= state.lastOffset) return false;
    state.lastOffset = offset;
    const windowStart = this.windows.startOf(record.eventTime);
    const k = key(record.site, windowStart);
    let window = state.windows.get(k);
    if (!window) {
      if (this.isExpired(state, windowStart)) {
        state.expiredRecords += 1;
        return true;
      }
      window = { site: record.site, windowStart, pageviews: 0, offset, final: false, dirty: true };
      state.windows.set(k, window);
    }
    window.pageviews += 1;
    window.offset = offset;
    window.dirty = true;
    state.maxEventTime = Math.max(state.maxEventTime, record.eventTime);
    this.closeWindows(state);
    return true;
  }

  /** Windows changed since they were last acknowledged, oldest first. */
  changes(): WindowCount[] {
    const out: WindowCount[] = [];
    for (const [partition, state] of this.partitions) {
      for (const w of state.windows.values()) {
        if (w.dirty) out.push({ site: w.site, partition, windowStart: w.windowStart, pageviews: w.pageviews, offset: w.offset, final: w.final });
      }
    }
    return out.sort((a, b) => a.windowStart - b.windowStart || a.partition - b.partition);
  }

  /** Marks changes as published; a window that changed again meanwhile stays dirty. */
  acknowledge(published: readonly WindowCount[]): void {
    for (const c of published) {
      const state = this.partitions.get(c.partition);
      const w = state?.windows.get(key(c.site, c.windowStart));
      if (state && w && w.offset === c.offset && w.final === c.final) {
        w.dirty = false;
      }
    }
    for (const state of this.partitions.values()) this.evict(state);
  }

  private partitionState(partition: number): PartitionState {
    let state = this.partitions.get(partition);
    if (!state) {
      state = { lastOffset: -1n, maxEventTime: -Infinity, windows: new Map(), expiredRecords: 0 };
      this.partitions.set(partition, state);
    }
    return state;
  }

  private isExpired(state: PartitionState, windowStart: number): boolean {
    return this.windows.endOf(windowStart) + this.options.retentionMs <= state.maxEventTime - this.options.allowedLatenessMs;
  }

  private closeWindows(state: PartitionState): void {
    const watermark = state.maxEventTime - this.options.allowedLatenessMs;
    for (const w of state.windows.values()) {
      if (!w.final && this.windows.endOf(w.windowStart) <= watermark) {
        w.final = true;
        w.dirty = true;
      }
    }
  }

  private evict(state: PartitionState): void {
    for (const [k, w] of state.windows) {
      if (!w.dirty && this.isExpired(state, w.windowStart)) state.windows.delete(k);
    }
  }
}
