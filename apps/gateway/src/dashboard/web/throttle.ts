/**
 * Runs an async job at most once per `gapMs`, however often it is asked for: a request inside
 * the gap becomes one run at its end, and requests made while a run is in flight become one run
 * after it. So a burst of live updates costs one history refresh, never a queue of them.
 */
export class Throttle {
  private lastStart = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Runs in flight: a forced run may overlap one started earlier. */
  private inFlight = 0;
  private pending = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly gapMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  request(): void {
    if (this.inFlight > 0) {
      this.pending = true;
      return;
    }
    if (this.timer !== undefined) return;
    const wait = this.lastStart + this.gapMs - this.now();
    if (wait <= 0) void this.run();
    else this.timer = setTimeout(() => void this.run(), wait);
  }

  /** Runs now whatever the gap (a new range was picked); the caller discards answers of older runs. */
  force(): void {
    this.pending = false;
    void this.run();
  }

  private async run(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight++;
    this.lastStart = this.now();
    try {
      await this.job();
    } catch {
      // the job reports its own failures on the page; a throw must not stop later runs
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.pending) {
        this.pending = false;
        this.request();
      }
    }
  }
}
