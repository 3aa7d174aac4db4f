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
});
