import { describe, expect, it } from 'vitest';
import { encodeAggregateUpdate, encodeEvent, type TrackedEvent } from '@clickstream/events';
import { renderRecord, type TailRecord } from './record-format.js';

const t = Date.UTC(2026, 10, 25, 10, 0, 1, 234);
const event: TrackedEvent = {
  v: 3,
  id: '0b7e3c1a-2f4d-4e5a-9b6c-7d8e9f0a1b2c',
  clientEventId: null,
  type: 'pageview',
  name: null,
  props: {},
  site: 'demo',
  url: 'https://example.com/pricing',
  hostname: 'example.com',
  path: '/pricing',
  referrer: 'https://news.example/',
  referrerDomain: 'news.example',
  title: null,
  screen: null,
  language: null,
  utm: { source: null, medium: null, campaign: null, term: null, content: null },
  browser: null,
  os: null,
  device: 'unknown',
  isBot: false,
  country: null,
  visitorId: '3f2a9c1b00000000000000000000abcd',
  eventTime: t,
  clientTime: null,
  timeFlagged: false,
  receivedAt: t,
  tag: null,
  revenue: null,
  scrollDepth: null,
  engagedMs: null,
};
const record = (topic: string, value: Buffer | string, key: string | null = 'demo'): TailRecord => ({
  topic,
  partition: 2,
  offset: '17',
  timestamp: t,
  key,
  value: Buffer.isBuffer(value) ? value : Buffer.from(value),
});

describe('renderRecord', () => {
  it('shows an event in one line: where, when, site, what, page, source and visitor', () => {
    const r = renderRecord('events', record('x.events', encodeEvent(event), 'demo:3f2a9c1b'));
    expect(r.site).toBe('demo');
    expect(r.text).toBe('p2@17  2026-11-25T10:00:01.234Z  demo  pageview  https://example.com/pricing  from news.example  visitor 3f2a9c1b');
    expect(r.json).toMatchObject({ topic: 'x.events', partition: 2, offset: '17', key: 'demo:3f2a9c1b', value: { id: event.id, site: 'demo' } });
  });

  it('adds the browser, OS and country ingest found, and flags bots', () => {
    const fromBrowser = { ...event, browser: 'Chrome', os: 'Linux', country: 'FR', isBot: true };
    expect(renderRecord('events', record('x.events', encodeEvent(fromBrowser))).text).toMatch(/from news\.example {2}Chrome\/Linux {2}FR {2}visitor 3f2a9c1b {2}bot$/);
  });

  it('shows a custom event with its properties', () => {
    const custom = { ...event, type: 'event' as const, name: 'signup', props: { plan: 'pro' } };
    expect(renderRecord('events', record('x.events', encodeEvent(custom))).text).toContain('demo  event signup {"plan":"pro"}  https://example.com/pricing');
  });

  it("shows an engagement report with its scroll depth and engaged time, and a custom event's revenue", () => {
    const engagement = { ...event, type: 'engagement' as const, scrollDepth: 73, engagedMs: 5400 };
    expect(renderRecord('events', record('x.events', encodeEvent(engagement))).text).toContain('demo  engagement scrolled 73% engaged 5400 ms  https://example.com/pricing');
    const paid = { ...event, type: 'event' as const, name: 'purchase', revenue: { amount: '19.9', currency: 'EUR' } };
    expect(renderRecord('events', record('x.events', encodeEvent(paid))).text).toContain('demo  event purchase revenue 19.9 EUR  https://example.com/pricing');
  });

  it('keeps an undecodable record visible with the reason', () => {
    const r = renderRecord('events', record('x.events', '{"v":2}', 'demo:abc'));
    expect(r.text).toMatch(/^p2@17 {2}undecodable \(.+\): \{"v":2\}$/);
    expect(r.json['error']).toBeDefined();
    expect(r.site).toBe('demo');
  });

  it('shows a window update with its figures and a presence update', () => {
    const win = encodeAggregateUpdate({
      v: 3,
      kind: 'window',
      site: 'demo',
      partition: 1,
      windowStart: Date.UTC(2026, 10, 25, 10, 0),
      windowSizeMs: 60_000,
      offset: '1203',
      final: true,
      metrics: { pageviews: 12, customEvents: 1, botEvents: 0, sessions: 3, lateEvents: 0 },
    });
    expect(renderRecord('aggregates', record('x.aggregates', win)).text).toBe(
      'p2@17  window 1m  2026-11-25T10:00:00.000Z  demo  pageviews 12  events 1  sessions 3  bots 0  late 0  (events partition 1 up to offset 1203, final)',
    );
    const presence = encodeAggregateUpdate({ v: 3, kind: 'presence', site: 'demo', partition: 1, at: t, visitors5m: 3, visitors30m: 7 });
    expect(renderRecord('aggregates', record('x.aggregates', presence)).text).toBe('p2@17  presence  2026-11-25T10:00:01.234Z  demo  visitors 5m 3  30m 7  (events partition 1)');
  });

  it('shows a window update of version 2, written by an aggregator before the upgrade, by its sums', () => {
    const v2 = JSON.stringify({
      v: 2,
      kind: 'window',
      site: 'demo',
      partition: 0,
      windowStart: Date.UTC(2026, 10, 25, 10, 0),
      windowSizeMs: 1000,
      offset: '7',
      final: false,
      metrics: { pageviews: 2, customEvents: 0, botEvents: 1, sessions: 1, lateEvents: 0, visitors: { kind: 'exact', hashes: ['00000000000000aa'] }, breakdowns: { page: { '/': 2 } } },
    });
    const r = renderRecord('aggregates', record('x.aggregates', v2));
    expect(r.text).toBe('p2@17  window 1s  2026-11-25T10:00:00.000Z  demo  pageviews 2  events 0  sessions 1  bots 1  late 0  (events partition 0 up to offset 7)');
    expect(r.json['value']).toMatchObject({ v: 2, metrics: { pageviews: 2, customEvents: 0, botEvents: 1, sessions: 1, lateEvents: 0 } });
  });

  it('shows a dead letter with its source, reason and payload, and knows the site ingest keyed it by', () => {
    const letter = JSON.stringify({ source: 'ingest', reason: 'invalid_event', field: 'url', detail: 'expected an absolute http(s) URL', index: null, payload: '{"site":"demo","url":"x"}', receivedAt: t });
    const r = renderRecord('dead-letter', record('x.dlq', letter, 'demo'));
    expect(r.text).toBe('p2@17  2026-11-25T10:00:01.234Z  ingest  invalid_event  url: expected an absolute http(s) URL  payload {"site":"demo","url":"x"}');
    expect(r.site).toBe('demo');
    const fromAggregator = JSON.stringify({ source: 'aggregator', topic: 'x.events', partition: 0, offset: '9', reason: 'not JSON', payload: 'garbage' });
    const a = renderRecord('dead-letter', record('x.dlq', fromAggregator, 'x.events:0:9'));
    expect(a.text).toContain('aggregator  not JSON  from x.events p0@9  payload garbage');
    expect(a.site).toBeUndefined();
  });

  it('shows a record of any other topic as its key and text', () => {
    const r = renderRecord(undefined, record('orders', 'hello', 'shop:42'));
    expect(r.text).toBe('p2@17  2026-11-25T10:00:01.234Z  key shop:42  hello');
    expect(r.site).toBe('shop');
    expect(r.json['value']).toBe('hello');
  });
});
