/**
 * Event ids seen recently on one partition, so an event the tracker retried (same client
 * event id, hence same event id) is stored once. Bounded by age and by count; time is
 * passed in. Beyond the window a duplicate is no longer recognised: the window is sized
 * for tracker retries (seconds to minutes), not for days.
 *
 * The ids are kept in a Map for lookups and, in the order they came, in a ring that says
 * which is oldest. Dropping the oldest through the Map's own order (`keys().next()` after
 * deletes at its front) walks over every entry deleted since the Map last rehashed: at the
 * count bound, which a partition reaches at about 55 events/s sustained for the window, that
 * walk grew to over 100 µs per event (measured on Node 20 with 200,000 ids).
 */
export class SeenIds {
  private readonly ids = new Map<string, number>();
  /** The ids in the order they were added; the oldest at `head`. */
  private readonly order: string[] = [];
  private head = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxIds: number,
  ) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** True when `id` was seen within the window; otherwise remembers it and returns false. */
  checkAndAdd(id: string, at: number): boolean {
    if (this.ids.has(id)) return true;
    if (this.ids.size >= this.maxIds) this.dropOldest();
    this.ids.set(id, at);
    this.order[(this.head + this.ids.size - 1) % this.maxIds] = id;
    return false;
  }

  /** Forgets ids older than the window before `now` (insertion order is roughly time order). */
  evict(now: number): void {
    while (this.ids.size > 0 && this.ids.get(this.order[this.head]!)! < now - this.windowMs) this.dropOldest();
  }

  get size(): number {
    return this.ids.size;
  }

  private dropOldest(): void {
    this.ids.delete(this.order[this.head]!);
    this.order[this.head] = '';
    this.head = (this.head + 1) % this.maxIds;
  }
}
