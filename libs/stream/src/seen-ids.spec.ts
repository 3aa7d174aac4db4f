import { describe, expect, it } from 'vitest';
import { SeenIds } from './seen-ids.js';

describe('SeenIds', () => {
  it('recognises an id seen before within the window', () => {
    const ids = new SeenIds(60_000, 100);
    expect(ids.checkAndAdd('a', 1000)).toBe(false);
    expect(ids.checkAndAdd('a', 2000)).toBe(true);
    expect(ids.checkAndAdd('b', 2000)).toBe(false);
  });

  it('forgets ids older than the window', () => {
    const ids = new SeenIds(10_000, 100);
    ids.checkAndAdd('old', 0);
    ids.checkAndAdd('new', 9_000);
    ids.evict(15_000);
    expect(ids.size).toBe(1);
    expect(ids.checkAndAdd('old', 15_000)).toBe(false);
    expect(ids.checkAndAdd('new', 15_000)).toBe(true);
  });

  it('keeps at most maxIds, dropping the oldest first', () => {
    const ids = new SeenIds(60_000, 2);
    ids.checkAndAdd('a', 1);
    ids.checkAndAdd('b', 2);
    ids.checkAndAdd('c', 3);
    expect(ids.size).toBe(2);
    expect(ids.checkAndAdd('b', 4)).toBe(true);
    expect(ids.checkAndAdd('a', 4)).toBe(false);
  });

  it('answers as a list of the ids in arrival order, cut to the newest maxIds and to the window, over many wraps of its ring', () => {
    // the model: ids in arrival order with their times; the oldest go first, by count or by age
    let model: { id: string; at: number }[] = [];
    const ids = new SeenIds(500, 7);
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let t = 0; t < 5000; t++) {
      if (t % 97 === 0) {
        ids.evict(t);
        const firstKept = model.findIndex((m) => m.at >= t - 500);
        model = firstKept < 0 ? [] : model.slice(firstKept);
      }
      const id = `e${random(40)}`;
      const seen = model.some((m) => m.id === id);
      expect(ids.checkAndAdd(id, t), `${id} at ${t}`).toBe(seen);
      if (!seen) {
        model.push({ id, at: t });
        if (model.length > 7) model.shift();
      }
      expect(ids.size).toBe(model.length);
    }
  });
});
