import { describe, expect, it } from 'vitest';
import { LiveWindowView } from './live-window-view.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('LiveWindowView', () => {
  it('sums the newest partial of every partition into the window total', () => {
    const view = new LiveWindowView(60_000);
    expect(view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 3, offset: 10n })).toEqual({ site: 's', windowStart: T0, pageviews: 3 });
    expect(view.apply({ site: 's', partition: 1, windowStart: T0, pageviews: 2, offset: 4n })).toMatchObject({ pageviews: 5 });
    expect(view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 4, offset: 11n })).toMatchObject({ pageviews: 6 });
  });

  it('ignores a duplicate or older partial, so a replayed update cannot inflate a total', () => {
    const view = new LiveWindowView(60_000);
    view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 4, offset: 11n });
    expect(view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 4, offset: 11n })).toBeUndefined();
    expect(view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 3, offset: 10n })).toBeUndefined();
    expect(view.windows('s', 0)).toEqual([{ site: 's', windowStart: T0, pageviews: 4 }]);
  });

  it('keeps sites apart and lists windows oldest first from a given start', () => {
    const view = new LiveWindowView(60_000);
    view.apply({ site: 's', partition: 0, windowStart: T0 + 1000, pageviews: 1, offset: 2n });
    view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 1, offset: 1n });
    view.apply({ site: 't', partition: 0, windowStart: T0, pageviews: 9, offset: 3n });
    expect(view.windows('s', T0).map((w) => w.windowStart)).toEqual([T0, T0 + 1000]);
    expect(view.windows('s', T0 + 1).map((w) => w.windowStart)).toEqual([T0 + 1000]);
    expect(view.windows('t', 0)).toEqual([{ site: 't', windowStart: T0, pageviews: 9 }]);
  });

  it('prunes windows older than the horizon from the time it is given', () => {
    const view = new LiveWindowView(10_000);
    view.apply({ site: 's', partition: 0, windowStart: T0, pageviews: 1, offset: 1n });
    view.apply({ site: 's', partition: 0, windowStart: T0 + 20_000, pageviews: 1, offset: 2n });
    view.prune(T0 + 25_000);
    expect(view.windows('s', 0).map((w) => w.windowStart)).toEqual([T0 + 20_000]);
  });
});
