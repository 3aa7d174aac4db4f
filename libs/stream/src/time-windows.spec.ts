import { describe, expect, it } from 'vitest';
import { TimeWindows } from './time-windows.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('TimeWindows', () => {
  it('puts a timestamp in the half-open window [start, start + size)', () => {
    const w = TimeWindows.of(1000);
    expect(w.startOf(T0)).toBe(T0);
    expect(w.startOf(T0 + 999)).toBe(T0);
    expect(w.startOf(T0 + 1000)).toBe(T0 + 1000);
    expect(w.endOf(T0)).toBe(T0 + 1000);
    expect(TimeWindows.of(60_000).startOf(T0 + 59_999)).toBe(T0);
  });

  it('refuses a window size that is not a positive whole number', () => {
    expect(() => TimeWindows.of(0)).toThrow(RangeError);
    expect(() => TimeWindows.of(1.5)).toThrow(RangeError);
  });
});
