/**
 * Merges per-partition partial window counts into per-site totals for the live view.
 * Each partial is a running total tagged with the offset of its newest record, so a
 * receiver keeps the partial with the highest offset: duplicates and reordered updates
 * cannot inflate a total, and the sum over partitions is exact.
 */

export interface LivePartial {
  site: string;
  partition: number;
  windowStart: number;
  pageviews: number;
  offset: bigint;
}

export interface LiveWindow {
  site: string;
  windowStart: number;
  pageviews: number;
}

export class LiveWindowView {
  /** site -> windowStart -> partition -> partial */
  private readonly sites = new Map<string, Map<number, Map<number, { pageviews: number; offset: bigint }>>>();

  constructor(private readonly horizonMs: number) {}

  /** Applies a partial; returns the window's new total, or undefined when nothing changed. */
  apply(partial: LivePartial): LiveWindow | undefined {
    let windows = this.sites.get(partial.site);
    if (!windows) {
      windows = new Map();
      this.sites.set(partial.site, windows);
    }
    let partitions = windows.get(partial.windowStart);
    if (!partitions) {
      partitions = new Map();
      windows.set(partial.windowStart, partitions);
    }
    const current = partitions.get(partial.partition);
    if (current && current.offset >= partial.offset) return undefined;
    partitions.set(partial.partition, { pageviews: partial.pageviews, offset: partial.offset });
    return { site: partial.site, windowStart: partial.windowStart, pageviews: sum(partitions) };
  }

  /** Totals of one site's windows at or after `from`, oldest first. */
  windows(site: string, from: number): LiveWindow[] {
    const windows = this.sites.get(site);
    if (!windows) return [];
    return [...windows.entries()]
      .filter(([start]) => start >= from)
      .sort(([a], [b]) => a - b)
      .map(([windowStart, partitions]) => ({ site, windowStart, pageviews: sum(partitions) }));
  }

  /** Drops windows that ended before `now - horizon`; `now` is passed in, never read. */
  prune(now: number): void {
    const oldest = now - this.horizonMs;
    for (const [site, windows] of this.sites) {
      for (const start of windows.keys()) if (start < oldest) windows.delete(start);
      if (windows.size === 0) this.sites.delete(site);
    }
  }
}

function sum(partitions: Map<number, { pageviews: number }>): number {
  let total = 0;
  for (const p of partitions.values()) total += p.pageviews;
  return total;
}
