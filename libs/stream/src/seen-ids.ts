/**
 * Event ids seen recently on one partition, so an event the tracker retried (same client
 * event id, hence same event id) is stored once. Bounded by age and by count; time is
 * passed in. Beyond the window a duplicate is no longer recognised: the window is sized
 * for tracker retries (seconds to minutes), not for days.
 */
export class SeenIds {
  private readonly ids = new Map<string, number>();

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
    this.ids.set(id, at);
    if (this.ids.size > this.maxIds) this.ids.delete(this.ids.keys().next().value!);
    return false;
  }

  /** Forgets ids older than the window before `now` (insertion order is roughly time order). */
  evict(now: number): void {
    for (const [id, at] of this.ids) {
      if (at >= now - this.windowMs) break;
      this.ids.delete(id);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
