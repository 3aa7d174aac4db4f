import { describe, expect, it } from 'vitest';
import { LiveWindowView } from './live-window-view.js';
import { streamEvent, T0 } from './testing/stream-driver.js';
import { WindowMetrics } from './window-metrics.js';

const metrics = (pageviews: number, sessions = 0): WindowMetrics => {
  const m = new WindowMetrics();
  for (let i = 0; i < pageviews; i++) m.add(streamEvent(T0), { sessionStart: i < sessions, late: false });
  return m;
};
const partial = (partition: number, windowStart: number, pageviews: number, offset: bigint, site = 's', sessions = 0) => ({
  site,
  partition,
  windowStart,
  windowSizeMs: 1000,
  offset,
  metrics: metrics(pageviews, sessions),
});

describe('LiveWindowView', () => {
  it('merges the newest partial of every partition into the window total', () => {
    const view = new LiveWindowView(60_000);
    expect(view.apply(partial(0, T0, 3, 10n, 's', 2))!.metrics.pageviews).toBe(3);
    const both = view.apply(partial(1, T0, 2, 4n, 's', 1))!;
    expect([both.metrics.pageviews, both.metrics.sessions]).toEqual([5, 3]);
    expect(view.apply(partial(0, T0, 4, 11n, 's', 2))!.metrics.pageviews).toBe(6);
  });

  it('ignores a duplicate or older partial, so a replayed update cannot inflate a total', () => {
    const view = new LiveWindowView(60_000);
    view.apply(partial(0, T0, 4, 11n));
    expect(view.apply(partial(0, T0, 4, 11n))).toBeUndefined();
    expect(view.apply(partial(0, T0, 3, 10n))).toBeUndefined();
    expect(view.windows('s', 1000, 0).map((w) => w.metrics.pageviews)).toEqual([4]);
  });

  it('keeps sites and window sizes apart and lists windows oldest first from a given start', () => {
    const view = new LiveWindowView(60_000);
    view.apply(partial(0, T0 + 1000, 1, 2n));
    view.apply(partial(0, T0, 1, 1n));
    view.apply(partial(0, T0, 9, 3n, 't'));
    view.apply({ ...partial(0, T0, 7, 3n), windowSizeMs: 60_000 });
    expect(view.windows('s', 1000, T0).map((w) => w.windowStart)).toEqual([T0, T0 + 1000]);
    expect(view.windows('s', 1000, T0 + 1).map((w) => w.windowStart)).toEqual([T0 + 1000]);
    expect(view.windows('t', 1000, 0).map((w) => w.metrics.pageviews)).toEqual([9]);
    expect(view.windows('s', 60_000, 0).map((w) => w.metrics.pageviews)).toEqual([7]);
  });

  it('prunes windows that ended before the horizon from the time it is given', () => {
    const view = new LiveWindowView(10_000);
    view.apply(partial(0, T0, 1, 1n));
    view.apply(partial(0, T0 + 20_000, 1, 2n));
    view.prune(T0 + 25_000);
    expect(view.windows('s', 1000, 0).map((w) => w.windowStart)).toEqual([T0 + 20_000]);
  });

  it('keeps windows of each size for their own horizon', () => {
    const view = new LiveWindowView(10_000, { 60_000: 3_600_000 });
    view.apply(partial(0, T0, 1, 1n));
    view.apply({ ...partial(0, T0, 5, 1n), windowSizeMs: 60_000 });
    view.prune(T0 + 600_000);
    expect(view.windows('s', 1000, 0)).toEqual([]);
    expect(view.windows('s', 60_000, 0).map((w) => w.metrics.pageviews)).toEqual([5]);
  });

  it('sums page views per window over partitions without merging, and accepts only newer partials', () => {
    const view = new LiveWindowView(60_000);
    expect(view.accept(partial(0, T0, 3, 5n))).toBe(true);
    expect(view.accept(partial(1, T0, 2, 9n))).toBe(true);
    expect(view.accept(partial(0, T0, 1, 4n))).toBe(false);
    expect(view.accept(partial(0, T0 + 1000, 4, 6n))).toBe(true);
    view.apply({ ...partial(0, T0, 7, 7n), windowSizeMs: 60_000 });
    expect(view.pageviews('s', 1000, T0)).toEqual([
      { windowStart: T0, pageviews: 5 },
      { windowStart: T0 + 1000, pageviews: 4 },
    ]);
    expect(view.pageviews('s', 1000, T0 + 1)).toEqual([{ windowStart: T0 + 1000, pageviews: 4 }]);
    expect(view.pageviews('nobody', 1000, 0)).toEqual([]);
  });
});
