/** How long a Throttle waits between the starts of two runs. */
export interface ThrottleGap {
  /** The least wait, however cheap the last run was. */
  minMs: number;
  /**
   * The wait is at least this many times the last run's duration, so a slow job (reads of a long
   * or filtered range) runs less often: it keeps the server busy for at most about 1 / factor of
   * the time, whatever the traffic asks. 0: the wait is `minMs` alone.
   */
  costFactor: number;
  /** The most it waits however slow the last run was, so figures never lag by more. */
  maxMs: number;
}

/**
 * Runs an async job at most once per gap, however often it is asked for: a request inside the
 * gap becomes one run at its end, and requests made while a run is in flight become one run
 * after it. So a burst of live updates costs one history refresh, never a queue of them.
 */
export class Throttle {
  private lastStart = Number.NEGATIVE_INFINITY;
  private lastDuration = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Runs in flight: a forced run may overlap one started earlier. */
  private inFlight = 0;
  private pending = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly gap: ThrottleGap,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The wait after the last run's start, from its duration. */
  gapMs(): number {
    const { minMs, costFactor, maxMs } = this.gap;
    return Math.min(maxMs, Math.max(minMs, costFactor * this.lastDuration));
  }

  request(): void {
    if (this.inFlight > 0) {
      this.pending = true;
      return;
    }
    if (this.timer !== undefined) return;
    const wait = this.lastStart + this.gapMs() - this.now();
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
    const started = this.now();
    this.lastStart = started;
    try {
      await this.job();
    } catch {
      // the job reports its own failures on the page; a throw must not stop later runs
    } finally {
      // a forced run overtaken by a newer one still tells what a run costs
      this.lastDuration = this.now() - started;
      this.inFlight--;
      if (this.inFlight === 0 && this.pending) {
        this.pending = false;
        this.request();
      }
    }
  }
}
