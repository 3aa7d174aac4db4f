import { describe, expect, it } from 'vitest';
import { StreamProcessor, type WindowUpdateOut } from './stream-processor.js';
import { StreamDriver, streamEvent, T0, DEFAULT_OPTIONS } from './testing/stream-driver.js';
import { WindowMetrics } from './window-metrics.js';

const SECOND = 1000;
const MINUTE = 60_000;

const latest = (updates: WindowUpdateOut[], sizeMs: number) => {
  const byWindow = new Map<string, WindowUpdateOut>();
  for (const u of updates) if (u.windowSizeMs === sizeMs) byWindow.set(`${u.site}|${u.windowStart}|${u.partition}`, u);
  return [...byWindow.values()];
};

describe('StreamProcessor windows', () => {
  it('counts events into their one-second and one-minute event-time windows, whatever the arrival order', () => {
    const d = new StreamDriver();
    d.push(streamEvent(T0 + 1500));
    d.push(streamEvent(T0 + 200));
    d.push(streamEvent(T0 + 61_000));
    d.push(streamEvent(T0 + 999));
    const updates = d.publish();
    const seconds = latest(updates, SECOND).map((u) => [u.windowStart - T0, u.metrics.pageviews]);
    expect(seconds.sort((a, b) => a[0]! - b[0]!)).toEqual([
      [0, 2],
      [1000, 1],
      [61_000, 1],
    ]);
    const minutes = latest(updates, MINUTE).map((u) => [u.windowStart - T0, u.metrics.pageviews]);
    expect(minutes.sort((a, b) => a[0]! - b[0]!)).toEqual([
      [0, 3],
      [60_000, 1],
    ]);
  });

  it('ignores a redelivered offset, so nothing counts twice', () => {
    const core = new StreamProcessor(DEFAULT_OPTIONS);
    expect(core.process(0, 7n, streamEvent(T0))).toBeDefined();
    expect(core.process(0, 7n, streamEvent(T0))).toBeUndefined();
    expect(core.process(0, 3n, streamEvent(T0))).toBeUndefined();
    const [w] = core.updates(T0).filter((u) => u.windowSizeMs === SECOND);
    expect(w!.metrics.pageviews).toBe(1);
    expect(w!.offset).toBe(7n);
  });

  it('publishes an open window as it changes, at most every publish interval, then once more as final', () => {
    const d = new StreamDriver({ windowSizesMs: [SECOND] });
    d.push(streamEvent(T0 + 100));
    expect(d.publish().map((u) => [u.metrics.pageviews, u.final])).toEqual([[1, false]]);
    d.push(streamEvent(T0 + 200));
    expect(d.publish(100)).toEqual([]); // 100 ms after the last publish: held back
    d.push(streamEvent(T0 + 300));
    expect(d.publish(150).map((u) => [u.metrics.pageviews, u.final])).toEqual([[3, false]]);
    expect(d.publish(1000)).toEqual([]); // nothing changed
    d.push(streamEvent(T0 + 6000)); // watermark = 1000: the first window closes
    const published = d.publish(0);
    expect(published.find((u) => u.windowStart === T0)).toMatchObject({ final: true });
    expect(published.find((u) => u.windowStart === T0)!.metrics.pageviews).toBe(3);
    expect(d.publish(1000).filter((u) => u.windowStart === T0)).toEqual([]);
  });

  it('closes a window only when the watermark (newest event time minus the allowed lateness) passes its end', () => {
    const d = new StreamDriver({ windowSizesMs: [SECOND], allowedLatenessMs: 5000 });
    d.push(streamEvent(T0 + 100));
    d.push(streamEvent(T0 + 5999)); // watermark T0 + 999: not past the end yet
    expect(d.publish().find((u) => u.windowStart === T0)!.final).toBe(false);
    expect(d.core.watermark(0)).toBe(T0 + 999);
    d.push(streamEvent(T0 + 6000));
    expect(d.publish(1000).find((u) => u.windowStart === T0)!.final).toBe(true);
  });

  it('counts a late event into its window and the late counter instead of dropping it', () => {
    const d = new StreamDriver({ windowSizesMs: [SECOND, MINUTE] });
    d.push(streamEvent(T0 + 100));
    d.push(streamEvent(T0 + 20_000)); // watermark T0 + 15 s: the first second is final
    d.publish();
    const facts = d.push(streamEvent(T0 + 500));
    expect(facts!.late).toBe(true);
    const updates = d.publish(1000);
    const second = updates.find((u) => u.windowSizeMs === SECOND && u.windowStart === T0)!;
    expect(second.final).toBe(true);
    expect(second.metrics.pageviews).toBe(2);
    expect(second.metrics.lateEvents).toBe(1);
    expect(updates.find((u) => u.windowSizeMs === MINUTE)!.metrics.pageviews).toBe(3);
    expect(d.core.lateEvents(0)).toBe(1);
  });

  it('flags an event late beyond the retention and leaves it to storage, counted as expired', () => {
    const d = new StreamDriver({ windowSizesMs: [SECOND], retentionMs: 10_000 });
    d.push(streamEvent(T0 + 100));
    d.push(streamEvent(T0 + 60_000));
    d.publish();
    d.publish(1000); // the old window is final, published and evicted
    const facts = d.push(streamEvent(T0 + 200));
    expect(facts).toMatchObject({ late: true });
    expect(d.core.expiredEvents(0)).toBe(1);
    expect(d.core.lateEvents(0)).toBe(1);
    expect(d.publish(1000)).toEqual([]);
  });

  it('keeps each partition on its own watermark', () => {
    const d = new StreamDriver({ windowSizesMs: [SECOND] });
    d.push(streamEvent(T0 + 100), 0);
    d.push(streamEvent(T0 + 100), 1);
    d.push(streamEvent(T0 + 30_000), 0);
    const updates = d.publish();
    expect(updates.find((u) => u.partition === 0 && u.windowStart === T0)!.final).toBe(true);
    expect(updates.find((u) => u.partition === 1 && u.windowStart === T0)!.final).toBe(false);
    expect(d.core.watermark(1)).toBe(T0 + 100 - 5000);
  });

  it('counts bots apart: not in page views, sessions or current visitors', () => {
    const d = new StreamDriver({ windowSizesMs: [SECOND] });
    d.push(streamEvent(T0, { visitorId: 'human', path: '/a' }));
    d.push(streamEvent(T0 + 10, { visitorId: 'crawler', isBot: true, path: '/b' }));
    const [w] = d.publish();
    expect(w!.metrics.toJSON()).toEqual({ pageviews: 1, customEvents: 0, botEvents: 1, sessions: 1, lateEvents: 0 });
    expect(d.core.presence(T0)).toEqual([{ site: 'shop', partition: 0, at: T0 + 10, visitors5m: 1, visitors30m: 1 }]);
  });

  it('counts page views and custom events apart, and leaves engagement reports out', () => {
    const d = new StreamDriver({ windowSizesMs: [MINUTE] });
    d.push(streamEvent(T0, { path: '/pricing' }));
    d.push(streamEvent(T0 + 1, { path: '/pricing', visitorId: 'v2' }));
    d.push(streamEvent(T0 + 2, { type: 'event', path: '/pricing' }));
    d.push(streamEvent(T0 + 3, { type: 'event', visitorId: 'v3' }));
    d.push(streamEvent(T0 + 4, { type: 'engagement', path: '/pricing' }));
    expect(d.publish()[0]!.metrics.toJSON()).toEqual({ pageviews: 2, customEvents: 2, botEvents: 0, sessions: 3, lateEvents: 0 });
  });
});

describe('StreamProcessor sessions', () => {
  it('starts a new session after 30 minutes without an event, and names it after its first event', () => {
    const d = new StreamDriver();
    const a = d.push(streamEvent(T0, { id: 'first' }))!;
    const b = d.push(streamEvent(T0 + 29 * MINUTE))!;
    const c = d.push(streamEvent(T0 + 29 * MINUTE + 30 * MINUTE + 1, { id: 'third' }))!;
    expect([a, b, c].map((f) => [f.sessionId, f.sessionStart])).toEqual([
      ['first', true],
      ['first', false],
      ['third', true],
    ]);
  });

  it('keeps an out-of-order event in the current session and gives each visitor and site its own', () => {
    const d = new StreamDriver();
    const a = d.push(streamEvent(T0 + 10 * MINUTE, { id: 'a' }))!;
    const early = d.push(streamEvent(T0, { id: 'early' }))!;
    const other = d.push(streamEvent(T0 + 10 * MINUTE, { id: 'o', visitorId: 'v2' }))!;
    const otherSite = d.push(streamEvent(T0 + 10 * MINUTE, { id: 's', site: 'blog' }))!;
    expect(early).toMatchObject({ sessionId: 'a', sessionStart: false });
    expect(other.sessionId).toBe('o');
    expect(otherSite.sessionId).toBe('s');
    expect(a.sessionStart).toBe(true);
  });

  it("carries what each event changed in its session: start, page views so far, the exit page it replaced, the time it added", () => {
    const d = new StreamDriver();
    const pushed = [
      d.push(streamEvent(T0, { type: 'event', path: '/ignored' })),
      d.push(streamEvent(T0 + 1000, { path: '/a' })),
      d.push(streamEvent(T0 + 5000, { path: '/b' })),
      d.push(streamEvent(T0 + 2000, { path: '/c' })), // older than the newest: adds no time, still the latest page view
      d.push(streamEvent(T0 + 9000, { type: 'event' })),
    ].map((f) => [f!.sessionStart, f!.sessionStarted - T0, f!.sessionPageviews, f!.previousExit, f!.durationAddedMs]);
    expect(pushed).toEqual([
      [true, 0, 0, '', 0],
      [false, 0, 1, '', 1000],
      [false, 0, 2, '/a', 4000],
      [false, 0, 3, '/b', 0],
      [false, 0, 3, '/c', 4000],
    ]);
  });

  it("carries the session's entry from its first page view on: path and source, none before, the same on every later event", () => {
    const d = new StreamDriver();
    const news = { path: '/a', referrerDomain: 'news.example', utm: { source: 'nl', medium: 'email', campaign: 'launch' } };
    const entries = [
      d.push(streamEvent(T0, { type: 'event', path: '/ignored', referrerDomain: 'x.example' })),
      d.push(streamEvent(T0 + 1000, news)),
      d.push(streamEvent(T0 + 2000, { path: '/b', referrerDomain: 'search.example' })),
      d.push(streamEvent(T0 + 3000, { type: 'event' })),
      // a new session after the gap has its own entry
      d.push(streamEvent(T0 + 3000 + 31 * MINUTE, { path: '/c' })),
    ].map((f) => f!.entry);
    const first = { path: '/a', referrer: 'news.example', utmSource: 'nl', utmMedium: 'email', utmCampaign: 'launch' };
    expect(entries).toEqual([null, first, first, first, { path: '/c', referrer: '', utmSource: '', utmMedium: '', utmCampaign: '' }]);
  });

  it('counts sessions in the window where they start', () => {
    const d = new StreamDriver({ windowSizesMs: [MINUTE] });
    d.push(streamEvent(T0, { visitorId: 'a' }));
    d.push(streamEvent(T0 + 1000, { visitorId: 'a' }));
    d.push(streamEvent(T0 + 2000, { visitorId: 'b' }));
    d.push(streamEvent(T0 + MINUTE, { visitorId: 'a' }));
    const minutes = latest(d.publish(), MINUTE).sort((x, y) => x.windowStart - y.windowStart);
    expect(minutes.map((u) => u.metrics.sessions)).toEqual([2, 0]);
  });
});

describe('StreamProcessor restore and merge', () => {
  it("continues a session's entry from the stored facts, when the restored events no longer hold its first page view", () => {
    const whole = new StreamDriver();
    whole.push(streamEvent(T0, { path: '/landing', referrerDomain: 'news.example' }));
    whole.push(streamEvent(T0 + 1000, { path: '/b' }));
    const restarted = new StreamDriver();
    restarted.core.open(0, 1n);
    // only the second event is restored: its facts carry the entry
    const second = whole.pushed[1]!;
    restarted.core.restore(0, second.offset, second.event, second.facts);
    const next = streamEvent(T0 + 2000, { path: '/c' });
    expect(restarted.push(next)!.entry).toEqual({ path: '/landing', referrer: 'news.example', utmSource: '', utmMedium: '', utmCampaign: '' });
  });

  it('rebuilds a session from the restored events alone when they were stored without its state (before migration 7)', () => {
    const whole = new StreamDriver();
    const events = [streamEvent(T0, { path: '/a' }), streamEvent(T0 + 1000, { type: 'event' }), streamEvent(T0 + 2000, { path: '/b' })];
    for (const e of events) whole.push(e);
    const restarted = new StreamDriver();
    restarted.core.open(0, 2n);
    for (const p of whole.pushed) {
      const { sessionId, sessionStart, late } = p.facts;
      restarted.core.restore(0, p.offset, p.event, { sessionId, sessionStart, late, sessionStarted: 0, sessionPageviews: 0, previousExit: '', durationAddedMs: 0, entry: null });
    }
    const next = streamEvent(T0 + 5000, { path: '/c' });
    expect(restarted.push(next)).toEqual(whole.push({ ...next }));
    expect(whole.pushed.at(-1)!.facts).toMatchObject({ sessionStarted: T0, sessionPageviews: 3, previousExit: '/b', durationAddedMs: 3000 });
  });

  it('continues after a restore from stored events exactly as an uninterrupted run', () => {
    const events = Array.from({ length: 400 }, (_, i) =>
      streamEvent(T0 + i * 7_000 + (i % 5 === 0 ? -9_000 : 0), { visitorId: `v${i % 9}`, path: `/p${i % 4}`, isBot: i % 31 === 0, type: i % 7 === 3 ? 'event' : 'pageview' }),
    );
    const whole = new StreamDriver();
    for (const e of events) whole.push(e);

    const first = new StreamDriver();
    for (const e of events.slice(0, 250)) first.push(e);
    // a new instance: the runtime opens the partition after the stored offset and replays stored rows with their facts
    const restarted = new StreamDriver();
    restarted.core.open(0, 249n);
    for (const p of first.pushed) restarted.core.restore(0, p.offset, p.event, p.facts);
    for (const e of events.slice(250)) restarted.push(e);

    expect(restarted.pushed.map((p) => p.facts)).toEqual(whole.pushed.slice(250).map((p) => p.facts));
    const snapshot = (d: StreamDriver) =>
      latest(d.publish(), MINUTE)
        .map((u) => ({ start: u.windowStart, json: u.metrics.toJSON() }))
        .sort((a, b) => a.start - b.start);
    expect(snapshot(restarted)).toEqual(snapshot(whole));
  });

  it('produces partials per partition that merge into the totals of one instance seeing everything', () => {
    const events = Array.from({ length: 3000 }, (_, i) =>
      streamEvent(T0 + (i % 50) * 100, { visitorId: `v${i % 700}`, path: `/p${i % 13}`, type: i % 10 === 0 ? 'event' : 'pageview' }),
    );
    const single = new StreamDriver({ windowSizesMs: [MINUTE] });
    const split = new StreamDriver({ windowSizesMs: [MINUTE] });
    for (const e of events) {
      single.push(e);
      split.push(e, Number(e.visitorId.slice(1)) % 3); // keyed by visitor, as the events topic is
    }
    const [whole] = single.publish();
    const partials = split.publish();
    expect(partials).toHaveLength(3);
    const merged = WindowMetrics.merged(partials.map((p) => WindowMetrics.fromJSON(p.metrics.toJSON())));
    expect(merged.toJSON()).toEqual(whole!.metrics.toJSON());
    expect(merged.pageviews + merged.customEvents).toBe(3000);
  });
});

describe('StreamProcessor current visitors', () => {
  it('counts visitors seen in the last 5 and 30 minutes per site, at the time passed in', () => {
    const d = new StreamDriver();
    d.push(streamEvent(T0, { visitorId: 'old' }));
    d.push(streamEvent(T0 + 20 * MINUTE, { visitorId: 'recent' }));
    d.push(streamEvent(T0 + 28 * MINUTE, { visitorId: 'now' }));
    d.push(streamEvent(T0 + 28 * MINUTE, { visitorId: 'other-site', site: 'blog' }));
    const at = T0 + 29 * MINUTE;
    expect(d.core.presence(at).sort((a, b) => a.site.localeCompare(b.site))).toEqual([
      { site: 'blog', partition: 0, at, visitors5m: 1, visitors30m: 1 },
      { site: 'shop', partition: 0, at, visitors5m: 1, visitors30m: 3 },
    ]);
    const later = T0 + 40 * MINUTE;
    expect(d.core.presence(later).find((p) => p.site === 'shop')).toMatchObject({ visitors5m: 0, visitors30m: 2 });
  });
});

describe('StreamProcessor and engagement events', () => {
  const engagement = (eventTime: number, overrides: Parameters<typeof streamEvent>[1] = {}) => streamEvent(eventTime, { type: 'engagement', ...overrides });

  it('counts an engagement event in no window, session, visitor or live figure, and stores it with its visit', () => {
    const d = new StreamDriver();
    const view = d.push(streamEvent(T0, { path: '/a' }))!;
    const e = d.push(engagement(T0 + 40_000, { path: '/a' }))!;
    // a second visitor's engagement with no page view, and a bot's
    d.push(engagement(T0 + 41_000, { visitorId: 'v2' }));
    d.push(engagement(T0 + 42_000, { visitorId: 'v3', isBot: true }));
    expect(e).toMatchObject({ sessionId: view.sessionId, sessionStart: false, durationAddedMs: 0, sessionPageviews: 1, entry: { path: '/a' } });
    const minute = latest(d.publish(), MINUTE)[0]!;
    expect([minute.metrics.pageviews, minute.metrics.customEvents, minute.metrics.sessions, minute.metrics.botEvents]).toEqual([1, 0, 1, 0]);
    expect(d.core.presence(T0)).toEqual([{ site: 'shop', partition: 0, at: T0, visitors5m: 1, visitors30m: 1 }]);
    // the session goes on as if no engagement came: the next page view adds its time since the first
    expect(d.push(streamEvent(T0 + 50_000, { path: '/b' }))).toMatchObject({ sessionId: view.sessionId, durationAddedMs: 50_000, sessionPageviews: 2, previousExit: '/a' });
    expect(d.core.lastOffset(0)).toBe(4n);
    // nor does it move the watermark
    expect(d.core.watermark(0)).toBe(T0 + 50_000 - DEFAULT_OPTIONS.allowedLatenessMs);
  });
});
