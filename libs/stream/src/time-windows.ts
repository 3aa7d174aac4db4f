/**
 * Event-time tumbling windows, half-open: [start, start + size).
 * Pure value functions: time is always an argument, never read from a clock.
 */
export class TimeWindows {
  private constructor(readonly sizeMs: number) {}

  static of(sizeMs: number): TimeWindows {
    if (!Number.isInteger(sizeMs) || sizeMs <= 0) throw new RangeError(`window size must be a positive whole number of ms, got ${sizeMs}`);
    return new TimeWindows(sizeMs);
  }

  startOf(eventTime: number): number {
    return eventTime - (((eventTime % this.sizeMs) + this.sizeMs) % this.sizeMs);
  }

  endOf(windowStart: number): number {
    return windowStart + this.sizeMs;
  }
}
