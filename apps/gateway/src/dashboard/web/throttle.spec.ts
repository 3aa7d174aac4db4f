import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from './throttle.js';

/** A gap of 2 s whatever a run costs. */
const FIXED = { minMs: 2_000, costFactor: 0, maxMs: 2_000 };

describe('Throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A job that records when it starts and finishes after `durationMs`. */
  const job = (durationMs = 0) => {
    const starts: number[] = [];
    const run = () => {
      starts.push(Date.now());
      return new Promise<void>((resolve) => setTimeout(resolve, durationMs));
    };
    return { starts, run };
  };

  it('runs at once, then folds the requests made before the gap ends into one run at its end', async () => {
    const { starts, run } = job();
    const t0 = Date.now();
    const throttle = new Throttle(run, FIXED);
    throttle.request();
    for (let i = 0; i < 7; i++) {
      await vi.advanceTimersByTimeAsync(250);
      throttle.request();
    }
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts.map((t) => t - t0)).toEqual([0, 2_000]);
  });

  it('runs once more after a slow run when asked during it, never two at a time', async () => {
    const { starts, run } = job(3_000);
    const t0 = Date.now();
    const throttle = new Throttle(run, FIXED);
    throttle.request();
    await vi.advanceTimersByTimeAsync(500);
    throttle.request();
    throttle.request();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts.map((t) => t - t0)).toEqual([0, 3_000]);
  });

  it('runs a forced refresh at once, whatever the gap', async () => {
    const { starts, run } = job();
    const t0 = Date.now();
    const throttle = new Throttle(run, FIXED);
    throttle.request();
    await vi.advanceTimersByTimeAsync(100);
    throttle.force();
    await vi.advanceTimersByTimeAsync(0);
    expect(starts.map((t) => t - t0)).toEqual([0, 100]);
  });

  it('keeps running after a job throws', async () => {
    let runs = 0;
    const throttle = new Throttle(() => {
      runs++;
      return Promise.reject(new Error('down'));
    }, FIXED);
    throttle.request();
    await vi.advanceTimersByTimeAsync(2_000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2);
  });

  it('waits ten times as long as the last run took when that is longer than the least gap, and no longer than the most', async () => {
    const durations = [300, 3_000, 10_000, 100];
    const starts: number[] = [];
    const t0 = Date.now();
    const throttle = new Throttle(
      () => {
        starts.push(Date.now() - t0);
        return new Promise<void>((resolve) => setTimeout(resolve, durations[starts.length - 1]));
      },
      { minMs: 2_000, costFactor: 10, maxMs: 60_000 },
    );
    // asked all the time, as a busy site's live updates do
    const asking = setInterval(() => throttle.request(), 100);
    throttle.request();
    await vi.advanceTimersByTimeAsync(120_000);
    clearInterval(asking);
    // 300 ms -> the least gap (3 s); 3 s -> 30 s; 10 s -> 100 s, held to 60 s
    expect(starts.slice(0, 4)).toEqual([0, 3_000, 33_000, 93_000]);
  });

  it('takes the least gap after a cheap run', async () => {
    const { starts, run } = job(50);
    const t0 = Date.now();
    const throttle = new Throttle(run, { minMs: 2_000, costFactor: 10, maxMs: 60_000 });
    const asking = setInterval(() => throttle.request(), 100);
    throttle.request();
    await vi.advanceTimersByTimeAsync(6_050);
    clearInterval(asking);
    expect(starts.map((t) => t - t0)).toEqual([0, 2_000, 4_000, 6_000]);
  });
});
