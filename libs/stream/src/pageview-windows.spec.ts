import { describe, expect, it } from 'vitest';
import { PageviewWindows, type WindowCount } from './pageview-windows.js';
import { TimeWindows } from './time-windows.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Pushes records with fixed event times, the way Kafka Streams' TestDriver does. */
class Driver {
  readonly core = new PageviewWindows({ windowSizeMs: 1000, allowedLatenessMs: 5000, retentionMs: 10_000 });
  private next = new Map<number, bigint>();

  push(site: string, eventTime: number, partition = 0): boolean {
    const offset = this.next.get(partition) ?? 0n;
    this.next.set(partition, offset + 1n);
    return this.core.add(partition, offset, { site, eventTime });
  }

  publish(): WindowCount[] {
    const changes = this.core.changes();
    this.core.acknowledge(changes);
    return changes;
  }
}

describe('TimeWindows', () => {
  it('puts a timestamp in the half-open window [start, start + size)', () => {
    const w = TimeWindows.of(1000);
    expect(w.startOf(T0)).toBe(T0);
    expect(w.startOf(T0 + 999)).toBe(T0);
    expect(w.startOf(T0 + 1000)).toBe(T0 + 1000);
    expect(w.endOf(T0)).toBe(T0 + 1000);
  });

  it('refuses a window size that is not a positive whole number', () => {
    expect(() => TimeWindows.of(0)).toThrow(RangeError);
    expect(() => TimeWindows.of(1.5)).toThrow(RangeError);
  });
});

describe('PageviewWindows', () => {
  it('counts pageviews per site and one-second event-time window', () => {
    const d = new Driver();
    d.push('a', T0 + 10);
    d.push('a', T0 + 990);
    d.push('b', T0 + 500);
    d.push('a', T0 + 1000);
    const changes = d.publish().map(({ site, windowStart, pageviews }) => ({ site, windowStart, pageviews }));
    expect(changes).toEqual(
      expect.arrayContaining([
        { site: 'a', windowStart: T0, pageviews: 2 },
        { site: 'b', windowStart: T0, pageviews: 1 },
        { site: 'a', windowStart: T0 + 1000, pageviews: 1 },
      ]),
    );
    expect(changes).toHaveLength(3);
  });

  it('ignores a redelivered offset so nothing is counted twice', () => {
    const core = new PageviewWindows({ windowSizeMs: 1000, allowedLatenessMs: 0, retentionMs: 0 });
    expect(core.add(0, 5n, { site: 'a', eventTime: T0 })).toBe(true);
    expect(core.add(0, 5n, { site: 'a', eventTime: T0 })).toBe(false);
    expect(core.add(0, 4n, { site: 'a', eventTime: T0 })).toBe(false);
    expect(core.add(1, 5n, { site: 'a', eventTime: T0 })).toBe(true);
    expect(core.changes().map((c) => [c.partition, c.pageviews])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('publishes only windows that changed since the last acknowledgement', () => {
    const d = new Driver();
    d.push('a', T0);
    expect(d.publish()).toHaveLength(1);
    expect(d.publish()).toHaveLength(0);
    d.push('a', T0 + 1);
    expect(d.publish()).toMatchObject([{ site: 'a', pageviews: 2 }]);
  });

  it('keeps a window dirty when it changed again before its publication was acknowledged', () => {
    const d = new Driver();
    d.push('a', T0);
    const first = d.core.changes();
    d.push('a', T0 + 1);
    d.core.acknowledge(first);
    expect(d.core.changes()).toMatchObject([{ pageviews: 2 }]);
  });

  it('marks a window final once the partition watermark passes its end', () => {
    const d = new Driver();
    d.push('a', T0);
    d.publish();
    d.push('a', T0 + 5999); // watermark T0 + 999: not yet past the end
    expect(d.publish().filter((c) => c.windowStart === T0)).toHaveLength(0);
    d.push('a', T0 + 6000); // watermark T0 + 1000 = end of the first window
    expect(d.publish().find((c) => c.windowStart === T0)).toMatchObject({ pageviews: 1, final: true });
  });

  it('keeps watermarks per partition: a busy partition does not close a quiet one', () => {
    const d = new Driver();
    d.push('a', T0, 0);
    d.push('a', T0 + 60_000, 1);
    expect(d.core.watermark(0)).toBe(T0 - 5000);
    expect(d.publish().find((c) => c.partition === 0)).toMatchObject({ final: false });
  });

  it('adds a late event within retention to its window total instead of starting a new count', () => {
    const d = new Driver();
    d.push('a', T0);
    d.push('a', T0 + 8000);
    d.publish();
    d.push('a', T0 + 10); // late: its window is already final
    expect(d.publish()).toMatchObject([{ windowStart: T0, pageviews: 2, final: true }]);
  });

  it('counts records whose window left memory as expired, never into a fresh partial', () => {
    const d = new Driver();
    d.push('a', T0);
    d.push('a', T0 + 60_000);
    d.publish();
    d.push('a', T0 + 5);
    expect(d.core.expiredRecords(0)).toBe(1);
    expect(d.publish()).toHaveLength(0);
  });

  it('continues from a seed after a restart without recounting stored offsets', () => {
    const core = new PageviewWindows({ windowSizeMs: 1000, allowedLatenessMs: 5000, retentionMs: 10_000 });
    core.seed(3, { lastOffset: 41n, windows: [{ site: 'a', windowStart: T0, pageviews: 7, offset: 41n }] });
    expect(core.add(3, 41n, { site: 'a', eventTime: T0 })).toBe(false);
    expect(core.add(3, 42n, { site: 'a', eventTime: T0 + 1 })).toBe(true);
    expect(core.changes()).toMatchObject([{ site: 'a', partition: 3, windowStart: T0, pageviews: 8, offset: 42n }]);
  });

  it('forgets a released partition', () => {
    const d = new Driver();
    d.push('a', T0, 2);
    d.core.release(2);
    expect(d.core.has(2)).toBe(false);
    expect(d.core.changes()).toHaveLength(0);
  });
});
