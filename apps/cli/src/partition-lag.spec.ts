import { describe, expect, it } from 'vitest';
import { groupLag, totalLag } from './partition-lag.js';

describe('groupLag', () => {
  const ranges = [
    { partition: 0, low: 0n, high: 10n },
    { partition: 1, low: 4n, high: 7n },
    { partition: 2, low: 0n, high: 5n },
  ];

  it('counts from the commit, or from the log start for a partition the group never committed', () => {
    const rows = groupLag(ranges, [
      { partition: 0, offset: '8' },
      { partition: 1, offset: '-1' },
      { partition: 2, offset: '5' },
    ]);
    expect(rows).toEqual([
      { partition: 0, committed: 8n, end: 10n, lag: 2n },
      { partition: 1, committed: undefined, end: 7n, lag: 3n },
      { partition: 2, committed: 5n, end: 5n, lag: 0n },
    ]);
    expect(totalLag(rows)).toBe(5n);
  });

  it('never reports a negative lag when the log was truncated past a commit', () => {
    expect(groupLag([{ partition: 0, low: 0n, high: 3n }], [{ partition: 0, offset: '9' }])[0]?.lag).toBe(0n);
  });
});
