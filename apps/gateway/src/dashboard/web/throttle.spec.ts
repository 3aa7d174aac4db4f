import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from './throttle.js';

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
    const throttle = new Throttle(run, 2_000);
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
    const throttle = new Throttle(run, 2_000);
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
    const throttle = new Throttle(run, 2_000);
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
    }, 2_000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(2_000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2);
  });
});
