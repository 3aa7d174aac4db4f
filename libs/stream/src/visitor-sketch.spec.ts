import { describe, expect, it } from 'vitest';
import { VisitorSketch } from './visitor-sketch.js';

const sketchOf = (from: number, to: number): VisitorSketch => {
  const s = VisitorSketch.empty();
  for (let i = from; i < to; i++) s.add(`visitor-${i}`);
  return s;
};
const relativeError = (estimate: number, truth: number): number => Math.abs(estimate - truth) / truth;

describe('VisitorSketch', () => {
  it('counts exactly below the limit, whatever the repeats', () => {
    expect(VisitorSketch.empty().count()).toBe(0);
    const one = sketchOf(0, 1);
    one.add('visitor-0');
    expect(one.count()).toBe(1);
    const s = sketchOf(0, 999);
    for (let i = 0; i < 999; i++) s.add(`visitor-${i}`);
    expect(s.exact).toBe(true);
    expect(s.count()).toBe(999);
  });

  it('estimates 20 000 and 100 000 uniques within 2 %', () => {
    for (const n of [20_000, 100_000]) {
      const s = sketchOf(0, n);
      expect(s.exact).toBe(false);
      expect(relativeError(s.count(), n)).toBeLessThan(0.02);
    }
  });

  it('merges overlapping sketches into the sketch of the union', () => {
    const a = sketchOf(0, 60_000);
    const b = sketchOf(40_000, 100_000);
    const merged = VisitorSketch.union([a, b]);
    expect(merged.toJSON()).toEqual(sketchOf(0, 100_000).toJSON());
    expect(relativeError(merged.count(), 100_000)).toBeLessThan(0.02);
    expect(a.count()).toBe(sketchOf(0, 60_000).count()); // inputs untouched
  });

  it('switches two exact sketches to HyperLogLog when their union passes the limit', () => {
    const merged = VisitorSketch.union([sketchOf(0, 800), sketchOf(500, 1500)]);
    expect(merged.exact).toBe(false);
    expect(relativeError(merged.count(), 1500)).toBeLessThan(0.02);
    expect(VisitorSketch.union([sketchOf(0, 600), sketchOf(300, 900)]).count()).toBe(900);
  });

  it('merges commutatively and idempotently', () => {
    const a = sketchOf(0, 3000);
    const b = sketchOf(2000, 2500);
    expect(VisitorSketch.union([a, b]).toJSON()).toEqual(VisitorSketch.union([b, a]).toJSON());
    const c = sketchOf(100, 700);
    expect(VisitorSketch.union([b, c]).toJSON()).toEqual(VisitorSketch.union([c, b]).toJSON());
    const again = a.clone();
    again.mergeFrom(a);
    again.mergeFrom(a.clone());
    expect(again.toJSON()).toEqual(a.toJSON());
    for (const s of [a, b]) {
      const before = s.toJSON();
      s.mergeFrom(s);
      expect(s.toJSON()).toEqual(before);
    }
  });

  it('survives a JSON round trip and refuses malformed input', () => {
    for (const s of [sketchOf(0, 10), sketchOf(0, 5000)]) {
      const back = VisitorSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
      expect([back.exact, back.count()]).toEqual([s.exact, s.count()]);
    }
    expect(() => VisitorSketch.fromJSON({ kind: 'bloom' })).toThrow(/unknown kind/);
    expect(() => VisitorSketch.fromJSON({ kind: 'exact', hashes: ['xyz'] })).toThrow(/16 hex digits/);
    expect(() => VisitorSketch.fromJSON({ kind: 'hll', p: 14, registers: 'AAAA' })).toThrow(/registers/);
    expect(() => VisitorSketch.fromJSON({ kind: 'hll', p: 12, registers: '' })).toThrow(/precision/);
  });
});
