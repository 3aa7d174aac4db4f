import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, wholeUnits } from './whole-units.js';

const H = HOUR_MS;

describe('wholeUnits', () => {
  it('keeps the whole hours inside a range with ragged ends', () => {
    expect(wholeUnits({ from: 10 * H + 60_000, to: 14 * H + 120_000 }, H)).toEqual({ from: 11 * H, to: 14 * H });
  });

  it('keeps an aligned range whole', () => {
    expect(wholeUnits({ from: 2 * DAY_MS, to: 5 * DAY_MS }, DAY_MS)).toEqual({ from: 2 * DAY_MS, to: 5 * DAY_MS });
  });

  it('gives an empty range at "from" when no whole unit fits, so the fine table reads everything', () => {
    expect(wholeUnits({ from: 10 * H + 60_000, to: 11 * H + 60_000 }, H)).toEqual({ from: 10 * H + 60_000, to: 10 * H + 60_000 });
    expect(wholeUnits({ from: 10 * H + 60_000, to: 10 * H + 120_000 }, H)).toEqual({ from: 10 * H + 60_000, to: 10 * H + 60_000 });
  });

  it('counts days in UTC from the epoch', () => {
    const from = Date.UTC(2026, 2, 28, 23, 30);
    expect(wholeUnits({ from, to: Date.UTC(2026, 2, 31, 1) }, DAY_MS)).toEqual({ from: Date.UTC(2026, 2, 29), to: Date.UTC(2026, 2, 31) });
  });
});
