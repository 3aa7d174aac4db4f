import { describe, expect, it } from 'vitest';
import { toDateTime64 } from './datetime.js';

/** What ClickHouse's DateTime64(3) text is, written out from the ISO form (the oracle does not share the code under test). */
const expected = (epochMs: number): string => new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');

describe('toDateTime64', () => {
  it('formats every millisecond of a second, across second, minute, day and year boundaries, and back in time', () => {
    const starts = [Date.UTC(2026, 11, 31, 23, 59, 59), Date.UTC(2024, 1, 29, 0, 0, 0), 0, Date.UTC(1999, 0, 1, 12, 30, 15)];
    for (const start of starts) {
      for (let t = start - 3; t < start + 1003; t++) expect(toDateTime64(t), String(t)).toBe(expected(t));
    }
    // values out of order reuse nothing stale
    const mixed = [starts[0]! + 999, starts[1]! + 5, starts[0]! + 1, starts[0]! + 1000, starts[1]! + 5];
    for (const t of mixed) expect(toDateTime64(t), String(t)).toBe(expected(t));
  });

  it('formats times before 1970 (negative epoch values) too', () => {
    for (const t of [-1, -999, -1000, -1001, -86_400_000 + 7]) expect(toDateTime64(t), String(t)).toBe(expected(t));
  });
});
