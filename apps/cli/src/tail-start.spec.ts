import { describe, expect, it } from 'vitest';
import { parseTailFrom, startOffsets } from './tail-start.js';

const now = Date.UTC(2026, 10, 25, 10, 0, 0);

describe('parseTailFrom', () => {
  it('reads now, earliest, an offset, a time and a duration ago', () => {
    expect(parseTailFrom(undefined, now)).toEqual({ now: true });
    expect(parseTailFrom('now', now)).toEqual({ now: true });
    expect(parseTailFrom('earliest', now)).toEqual({ earliest: true });
    expect(parseTailFrom('1200', now)).toEqual({ offset: 1200n });
    expect(parseTailFrom('2026-11-25T09:00:00Z', now)).toEqual({ timestamp: now - 3_600_000 });
    expect(parseTailFrom('10m', now)).toEqual({ timestamp: now - 600_000 });
  });

  it('refuses anything else in one line naming --from', () => {
    expect(() => parseTailFrom('abc', now)).toThrow(/^--from: expected now, earliest, an offset .* got "abc"$/);
    expect(() => parseTailFrom('-5', now)).toThrow(/^--from: expected/);
    expect(() => parseTailFrom('2026-19-45T00:00:00Z', now)).toThrow('--from: "2026-19-45T00:00:00Z" is not a valid time');
  });
});

describe('startOffsets', () => {
  const ranges = [
    { partition: 0, low: 2n, high: 10n },
    { partition: 1, low: 0n, high: 4n },
  ];
  const at = (m: Map<number, bigint>) => Object.fromEntries(m);

  it('starts at the end, the log start, or the offset held within each partition', () => {
    expect(at(startOffsets('t', { now: true }, ranges))).toEqual({ 0: 10n, 1: 4n });
    expect(at(startOffsets('t', { earliest: true }, ranges))).toEqual({ 0: 2n, 1: 0n });
    expect(at(startOffsets('t', { offset: 1n }, ranges))).toEqual({ 0: 2n, 1: 1n });
    expect(at(startOffsets('t', { offset: 7n }, ranges))).toEqual({ 0: 7n, 1: 4n });
  });

  it('starts a time at the offsets Kafka found for it', () => {
    expect(at(startOffsets('t', { timestamp: now }, ranges, [{ partition: 0, offset: '6' }, { partition: 1, offset: '4' }]))).toEqual({ 0: 6n, 1: 4n });
  });

  it('refuses an offset past the end of every partition', () => {
    expect(() => startOffsets('t', { offset: 11n }, ranges)).toThrow('--from: offset 11 is past the end of t (no partition goes past offset 10)');
    expect(() => startOffsets('t', { offset: 5n }, [ranges[1]!])).toThrow('--from: offset 5 is past the end of t (partition 1 ends at offset 4)');
  });
});
