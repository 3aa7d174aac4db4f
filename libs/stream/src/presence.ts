/**
 * Current visitors of one partition: who was seen within the last 5 and 30 minutes.
 * A visitor's events are all on one partition, so the counts of all partitions add up
 * to exact site totals. Time is passed in.
 */
export const PRESENCE_SPANS_MS = { short: 5 * 60_000, long: 30 * 60_000 } as const;

export interface PresenceCount {
  site: string;
  visitors5m: number;
  visitors30m: number;
}

export class Presence {
  /** site -> visitor -> newest event time, in order of last update */
  private readonly sites = new Map<string, Map<string, number>>();

  see(site: string, visitorId: string, eventTime: number): void {
    let visitors = this.sites.get(site);
    if (!visitors) {
      visitors = new Map();
      this.sites.set(site, visitors);
    }
    const last = visitors.get(visitorId);
    visitors.delete(visitorId);
    visitors.set(visitorId, Math.max(last ?? eventTime, eventTime));
  }

  /** Counts at `now`, after forgetting visitors not seen for the long span. */
  counts(now: number): PresenceCount[] {
    const out: PresenceCount[] = [];
    for (const [site, visitors] of this.sites) {
      let short = 0;
      let long = 0;
      for (const [visitor, at] of visitors) {
        if (at < now - PRESENCE_SPANS_MS.long) {
          visitors.delete(visitor);
          continue;
        }
        // a visitor seen "in the future" (client clock ahead, within the allowed skew) is present
        long += 1;
        if (at >= now - PRESENCE_SPANS_MS.short) short += 1;
      }
      out.push({ site, visitors5m: short, visitors30m: long });
      if (visitors.size === 0) this.sites.delete(site);
    }
    return out;
  }
}
