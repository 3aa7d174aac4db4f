import { WindowMetrics } from './window-metrics.js';

/**
 * Merges per-partition window partials into per-site totals for the live view. Each partial
 * is a running state tagged with the offset of its newest event, so a receiver keeps the
 * partial with the highest offset per partition: duplicates and reordered updates cannot
 * inflate a total; sums over partitions are exact.
 */

export interface LivePartial {
  site: string;
  partition: number;
  windowStart: number;
  windowSizeMs: number;
  offset: bigint;
  metrics: WindowMetrics;
}

export interface LiveWindow {
  site: string;
  windowStart: number;
  windowSizeMs: number;
  metrics: WindowMetrics;
}

type Partials = Map<number, { metrics: WindowMetrics; offset: bigint }>;

export class LiveWindowView {
  /** site -> `${size}|${start}` -> partition -> partial */
  private readonly sites = new Map<string, Map<string, { windowStart: number; windowSizeMs: number; partitions: Partials }>>();

  /** `horizonsMs`: how long windows of each size are kept (e.g. 1 s windows 2 minutes, 1 min windows a day); sizes not listed are kept `defaultHorizonMs`. */
  constructor(
    private readonly defaultHorizonMs: number,
    private readonly horizonsMs: Readonly<Record<number, number>> = {},
  ) {}

  /** Applies a partial; returns the window's merged total, or undefined when nothing changed. */
  apply(partial: LivePartial): LiveWindow | undefined {
    const window = this.offer(partial);
    return window && { site: partial.site, windowStart: partial.windowStart, windowSizeMs: partial.windowSizeMs, metrics: merge(window.partitions) };
  }

  /** Applies a partial without merging (the receiver's hot path); true when it was newer than what the view held. */
  accept(partial: LivePartial): boolean {
    return this.offer(partial) !== undefined;
  }

  /**
   * Page views per window of one site and size at or after `from`, oldest first: a sum over the
   * partitions' partials, without building merged windows.
   */
  pageviews(site: string, windowSizeMs: number, from: number): { windowStart: number; pageviews: number }[] {
    const windows = this.sites.get(site);
    if (!windows) return [];
    const out: { windowStart: number; pageviews: number }[] = [];
    for (const w of windows.values()) {
      if (w.windowSizeMs !== windowSizeMs || w.windowStart < from) continue;
      let pageviews = 0;
      for (const p of w.partitions.values()) pageviews += p.metrics.pageviews;
      out.push({ windowStart: w.windowStart, pageviews });
    }
    return out.sort((a, b) => a.windowStart - b.windowStart);
  }

  private offer(partial: LivePartial): { partitions: Partials } | undefined {
    let windows = this.sites.get(partial.site);
    if (!windows) {
      windows = new Map();
      this.sites.set(partial.site, windows);
    }
    const k = `${partial.windowSizeMs}|${partial.windowStart}`;
    let window = windows.get(k);
    if (!window) {
      window = { windowStart: partial.windowStart, windowSizeMs: partial.windowSizeMs, partitions: new Map() };
      windows.set(k, window);
    }
    const current = window.partitions.get(partial.partition);
    if (current && current.offset >= partial.offset) return undefined;
    window.partitions.set(partial.partition, { metrics: partial.metrics, offset: partial.offset });
    return window;
  }

  /** Merged windows of one site and size at or after `from`, oldest first. */
  windows(site: string, windowSizeMs: number, from: number): LiveWindow[] {
    const windows = this.sites.get(site);
    if (!windows) return [];
    return [...windows.values()]
      .filter((w) => w.windowSizeMs === windowSizeMs && w.windowStart >= from)
      .sort((a, b) => a.windowStart - b.windowStart)
      .map((w) => ({ site, windowStart: w.windowStart, windowSizeMs, metrics: merge(w.partitions) }));
  }

  /** Drops windows that ended before `now` minus their size's horizon; `now` is passed in, never read. */
  prune(now: number): void {
    for (const [site, windows] of this.sites) {
      for (const [k, w] of windows) if (w.windowStart + w.windowSizeMs < now - (this.horizonsMs[w.windowSizeMs] ?? this.defaultHorizonMs)) windows.delete(k);
      if (windows.size === 0) this.sites.delete(site);
    }
  }
}

function merge(partitions: Partials): WindowMetrics {
  return WindowMetrics.merged([...partitions.values()].map((p) => p.metrics));
}
