import { describe, expect, it } from 'vitest';
import { checkCollectPayload } from './collect.schema.js';
import { decodeEvent, encodeEvent, EventDecodeError } from './event.js';
import { eventIdOf, eventTimeOf, toTrackedEvent, type RequestFacts } from './to-tracked-event.js';

describe('checkCollectPayload', () => {
  it('accepts a pageview and defaults its type and referrer', () => {
    const check = checkCollectPayload({ site: 'shop-1', url: 'https://shop.example/a?b=c' });
    expect(check).toEqual({ ok: true, payload: { type: 'pageview', site: 'shop-1', url: 'https://shop.example/a?b=c', referrer: null } });
  });

  it('accepts a custom event with flat properties', () => {
    const check = checkCollectPayload({ type: 'event', site: 's', url: 'https://x.example/', name: 'signup', props: { plan: 'pro', seats: 3, trial: false }, id: 'abcdefgh12', ts: 1 });
    expect(check).toMatchObject({ ok: true, payload: { type: 'event', name: 'signup', props: { plan: 'pro', seats: 3, trial: false } } });
    // a page view's properties (Plausible's custom properties for page views)
    expect(checkCollectPayload({ site: 's', url: 'https://x.example/', props: { author: 'ann', words: 900 } })).toMatchObject({ ok: true, payload: { type: 'pageview', props: { author: 'ann', words: 900 } } });
  });

  it('refuses prototype-polluting keys at the top level and in properties', () => {
    const top = JSON.parse('{"site":"s","url":"https://x.example/","__proto__":{"polluted":1}}') as unknown;
    expect(checkCollectPayload(top)).toEqual({ ok: false, field: '__proto__', detail: 'unknown field' });
    const inProps = JSON.parse('{"type":"event","site":"s","url":"https://x.example/","name":"n","props":{"__proto__":"x"}}') as unknown;
    expect(checkCollectPayload(inProps)).toMatchObject({ ok: false, field: 'props.__proto__' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['site', 'required', { url: 'https://x.example/' }],
    ['site', 'expected 1-64 letters, digits, ".", "_" or "-"', { site: 'a b', url: 'https://x.example/' }],
    ['url', 'expected a string', { site: 's', url: 42 }],
    ['url', 'expected an absolute http(s) URL', { site: 's', url: '/relative' }],
    ['url', 'expected an absolute http(s) URL', { site: 's', url: 'ftp://x.example/' }],
    ['url', 'longer than 2048 characters', { site: 's', url: `https://x.example/${'a'.repeat(2100)}` }],
    ['referrer', 'expected a string', { site: 's', url: 'https://x.example/', referrer: 7 }],
    ['type', 'expected "pageview", "event" or "engagement"', { site: 's', url: 'https://x.example/', type: 'click' }],
    ['name', 'required', { site: 's', url: 'https://x.example/', type: 'event' }],
    ['name', 'must not be empty', { site: 's', url: 'https://x.example/', type: 'event', name: '' }],
    ['name', 'only a custom event ("type": "event") carries name', { site: 's', url: 'https://x.example/', name: 'signup' }],
    ['name', 'longer than 120 characters', { site: 's', url: 'https://x.example/', type: 'event', name: 'n'.repeat(121) }],
    ['props.long', 'longer than 2000 characters', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', props: { long: 'v'.repeat(2001) } }],
    ['props.nested', 'expected a string (at most 2000 characters), a finite number or a boolean', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', props: { nested: { x: 1 } } }],
    ['props.bad key', 'property names are 1-64 letters, digits, "_", ".", ":" or "-"', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', props: { 'bad key': 1 } }],
    ['props', 'more than 30 properties', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', props: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) }],
    ['tag', 'must not be empty', { site: 's', url: 'https://x.example/', tag: '' }],
    ['tag', 'longer than 64 characters', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', tag: 't'.repeat(65) }],
    ['tag', 'expected a string', { site: 's', url: 'https://x.example/', tag: 5 }],
    ['hashRouting', 'expected true or false', { site: 's', url: 'https://x.example/', hashRouting: 'yes' }],
    ['scrollDepth', 'required', { site: 's', url: 'https://x.example/', type: 'engagement', engagedMs: 5 }],
    ['engagedMs', 'required', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 5 }],
    ['scrollDepth', 'expected an integer percent from 0 to 100', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 101, engagedMs: 5 }],
    ['scrollDepth', 'expected an integer percent from 0 to 100', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: -1, engagedMs: 5 }],
    ['scrollDepth', 'expected an integer percent from 0 to 100', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 50.5, engagedMs: 5 }],
    ['scrollDepth', 'expected an integer percent from 0 to 100', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: '50', engagedMs: 5 }],
    ['engagedMs', 'expected integer milliseconds from 0 to 86400000', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 5, engagedMs: 86_400_001 }],
    ['engagedMs', 'expected integer milliseconds from 0 to 86400000', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 5, engagedMs: -1 }],
    ['scrollDepth', 'only an engagement event ("type": "engagement") carries scrollDepth', { site: 's', url: 'https://x.example/', scrollDepth: 5 }],
    ['engagedMs', 'only an engagement event ("type": "engagement") carries engagedMs', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', engagedMs: 5 }],
    ['name', 'only a custom event ("type": "event") carries name', { site: 's', url: 'https://x.example/', type: 'engagement', name: 'a', scrollDepth: 5, engagedMs: 5 }],
    ['revenue', 'only a custom event ("type": "event") carries revenue', { site: 's', url: 'https://x.example/', revenue: { amount: 1, currency: 'EUR' } }],
    ['revenue', 'only a custom event ("type": "event") carries revenue', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 5, engagedMs: 5, revenue: { amount: 1, currency: 'EUR' } }],
    ['props', 'only a custom event ("type": "event") or a page view ("type": "pageview") carries props', { site: 's', url: 'https://x.example/', type: 'engagement', scrollDepth: 5, engagedMs: 5, props: { a: 1 } }],
    ['props.bad key', 'property names are 1-64 letters, digits, "_", ".", ":" or "-"', { site: 's', url: 'https://x.example/', props: { 'bad key': 1 } }],
    ['revenue', 'expected an object { amount, currency }', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: 12 }],
    ['revenue.amount', 'required', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { currency: 'EUR' } }],
    ['revenue.currency', 'required', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: 3 } }],
    ['revenue.currency', 'expected an ISO 4217 code of 3 upper-case letters, e.g. EUR', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: 3, currency: 'eur' } }],
    ['revenue.currency', 'expected an ISO 4217 code of 3 upper-case letters, e.g. EUR', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: 3, currency: 'EURO' } }],
    ['revenue.amount', 'expected a number or a decimal string', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: true, currency: 'EUR' } }],
    ['revenue.amount', 'expected a decimal of at most 12 digits before the point and 6 after', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: 'ten', currency: 'EUR' } }],
    ['revenue.amount', 'expected a decimal of at most 12 digits before the point and 6 after', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: '1.1234567', currency: 'EUR' } }],
    ['revenue.amount', 'expected a decimal of at most 12 digits before the point and 6 after', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: 1e21, currency: 'EUR' } }],
    ['revenue.amount', 'expected a decimal of at most 12 digits before the point and 6 after', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: '1e3', currency: 'EUR' } }],
    ['revenue.extra', 'unknown field', { site: 's', url: 'https://x.example/', type: 'event', name: 'a', revenue: { amount: 1, currency: 'EUR', extra: 1 } }],
    ['screen', 'expected WIDTHxHEIGHT, e.g. 1920x1080', { site: 's', url: 'https://x.example/', screen: 'big' }],
    ['language', 'expected a language tag, e.g. en-US', { site: 's', url: 'https://x.example/', language: 'english please' }],
    ['id', 'expected 8-64 letters, digits, "_" or "-"', { site: 's', url: 'https://x.example/', id: 'short' }],
    ['ts', 'expected epoch milliseconds', { site: 's', url: 'https://x.example/', ts: -5 }],
    ['ts', 'expected epoch milliseconds', { site: 's', url: 'https://x.example/', ts: 1.5 }],
    // year 10000: ClickHouse would refuse the insert holding it
    ['ts', 'expected epoch milliseconds', { site: 's', url: 'https://x.example/', ts: 253_402_300_800_000 }],
    ['title', 'longer than 512 characters', { site: 's', url: 'https://x.example/', title: 'x'.repeat(513) }],
    ['extra', 'unknown field', { site: 's', url: 'https://x.example/', extra: 1 }],
  ])('refuses a bad %s: %s', (field, detail, body) => {
    expect(checkCollectPayload(body)).toEqual({ ok: false, field, detail });
  });

  it('accepts an engagement event, a tag, hash routing and the widened limits', () => {
    expect(checkCollectPayload({ type: 'engagement', site: 's', url: 'https://x.example/#/a', scrollDepth: 100, engagedMs: 86_400_000, tag: 'spring', hashRouting: true })).toEqual({
      ok: true,
      payload: { type: 'engagement', site: 's', url: 'https://x.example/#/a', referrer: null, scrollDepth: 100, engagedMs: 86_400_000, tag: 'spring', hashRouting: true },
    });
    const wide = { type: 'event', site: 's', url: 'https://x.example/', name: 'n'.repeat(120), props: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'.repeat(2000)])) };
    expect(checkCollectPayload(wide).ok).toBe(true);
  });

  it.each([
    [10.29, '10.29'],
    ['10.29', '10.29'],
    [' 7 ', '7'],
    [0, '0'],
    [-0, '0'],
    ['-12.5', '-12.5'],
    ['999999999999.999999', '999999999999.999999'],
    [0.1 + 0.2 - 0.3 + 0.000001, undefined],
  ])('keeps the revenue amount %s as the exact decimal %s', (amount, exact) => {
    const check = checkCollectPayload({ type: 'event', site: 's', url: 'https://x.example/', name: 'buy', revenue: { amount, currency: 'EUR' } });
    if (exact === undefined) expect(check).toMatchObject({ ok: false, field: 'revenue.amount' });
    else expect(check).toMatchObject({ ok: true, payload: { revenue: { amount: exact, currency: 'EUR' } } });
  });

  it('refuses a body that is not an object without naming a field', () => {
    expect(checkCollectPayload([1, 2])).toEqual({ ok: false, field: undefined, detail: 'expected a JSON object' });
    expect(checkCollectPayload('hello')).toMatchObject({ ok: false, field: undefined });
  });
});

const FACTS: RequestFacts = { receivedAt: 1_700_000_000_123, visitorId: 'abc', browser: 'Firefox', os: 'Linux', device: 'desktop', isBot: false, country: 'DE' };

describe('tracked events on the wire', () => {
  it('round-trips through encode and decode with event time and receive time kept apart', () => {
    const check = checkCollectPayload({ site: 's', url: 'https://x.example/p/q?x=1', referrer: 'https://ref.example/' });
    if (!check.ok) throw new Error('fixture invalid');
    const event = toTrackedEvent(check.payload, FACTS, 60_000);
    expect(event.path).toBe('/p/q');
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });

  it('rejects records that are not events of a known version, with the reason', () => {
    expect(() => decodeEvent(Buffer.from('{'))).toThrow(EventDecodeError);
    expect(() => decodeEvent(null)).toThrow('empty record');
    expect(() => decodeEvent(Buffer.from(JSON.stringify({ v: 4 })))).toThrow(/^undecodable event: v:/);
    expect(() => decodeEvent(Buffer.from(JSON.stringify({ v: 2, id: 'x' })))).toThrow(/^undecodable event: id:/);
  });

  it('upgrades a version-1 record from the walking skeleton', () => {
    const v1 = { v: 1, id: '6f1c1a50-54b4-4b0e-8a6f-7a9c0e6f2b11', type: 'pageview', site: 's', url: 'https://x.example/a', path: '/a', referrer: null, eventTime: 5, receivedAt: 6 };
    expect(decodeEvent(Buffer.from(JSON.stringify(v1)))).toMatchObject({ v: 3, id: v1.id, site: 's', hostname: 'x.example', isBot: false, props: {} });
  });

  it('takes UTM parameters from the url and the referrer domain, ignoring same-site referrers', () => {
    const payload = (url: string, referrer: string) => {
      const c = checkCollectPayload({ site: 's', url, referrer });
      if (!c.ok) throw new Error(c.detail);
      return toTrackedEvent(c.payload, FACTS, 60_000);
    };
    const e = payload('https://www.shop.example/?utm_source=news&utm_medium=email&utm_campaign=fall', 'https://www.google.com/search?q=x');
    expect(e.utm).toEqual({ source: 'news', medium: 'email', campaign: 'fall', term: null, content: null });
    expect(e.referrerDomain).toBe('google.com');
    expect(payload('https://shop.example/b', 'https://www.shop.example/a').referrerDomain).toBeNull();
  });

  it('derives the event id from the client event id, so a retry keeps its id', () => {
    expect(eventIdOf('s', 'client-123')).toBe(eventIdOf('s', 'client-123'));
    expect(eventIdOf('s', 'client-123')).not.toBe(eventIdOf('t', 'client-123'));
    expect(eventIdOf('s', 'client-123')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdOf('s', undefined)).not.toBe(eventIdOf('s', undefined));
  });

  it('replaces a lone surrogate in the text it keeps with U+FFFD, and leaves whole pairs alone', () => {
    const check = checkCollectPayload({ type: 'event', site: 's', url: 'https://x.example/\ud800', referrer: 'r\udc00', title: `${'x'.repeat(511)}\ud83d`, name: 'n\ud83d\ude00', props: { p: 'a\udfffb' } });
    if (!check.ok) throw new Error(check.detail);
    const event = toTrackedEvent(check.payload, FACTS, 60_000);
    expect([event.url, event.referrer, event.title, event.name, event.props['p']]).toEqual(['https://x.example/\ufffd', 'r\ufffd', `${'x'.repeat(511)}\ufffd`, 'n\ud83d\ude00', 'a\ufffdb']);
    expect(checkCollectPayload({ site: 's', url: 'https://x.example/', ts: 253_402_300_799_999 }).ok).toBe(true);
  });

  it('carries the tag, the exact revenue and the engagement figures, and keeps the fragment in the path under hash routing', () => {
    const tracked = (body: Record<string, unknown>) => {
      const c = checkCollectPayload({ site: 's', ...body });
      if (!c.ok) throw new Error(c.detail);
      return toTrackedEvent(c.payload, FACTS, 60_000);
    };
    expect(tracked({ url: 'https://x.test/#/about', hashRouting: true })).toMatchObject({ path: '/#/about', tag: null, revenue: null, scrollDepth: null, engagedMs: null });
    expect(tracked({ url: 'https://x.test/docs?a=1#/about' })).toMatchObject({ path: '/docs' });
    expect(tracked({ url: 'https://x.test/docs', hashRouting: true })).toMatchObject({ path: '/docs' });
    expect(tracked({ type: 'event', name: 'buy', url: 'https://x.test/', tag: 'spring', revenue: { amount: 19.9, currency: 'EUR' } })).toMatchObject({ v: 3, tag: 'spring', revenue: { amount: '19.9', currency: 'EUR' } });
    const engagement = tracked({ type: 'engagement', url: 'https://x.test/#/a', hashRouting: true, scrollDepth: 70, engagedMs: 1234 });
    expect(engagement).toMatchObject({ type: 'engagement', path: '/#/a', name: null, props: {}, revenue: null, scrollDepth: 70, engagedMs: 1234 });
    expect(decodeEvent(encodeEvent(engagement))).toEqual(engagement);
  });

  it('keeps a client time within the skew and clamps and flags one beyond it', () => {
    expect(eventTimeOf(9_000, 10_000, 5_000)).toEqual({ eventTime: 9_000, timeFlagged: false });
    expect(eventTimeOf(1_000, 10_000, 5_000)).toEqual({ eventTime: 5_000, timeFlagged: true });
    expect(eventTimeOf(99_000, 10_000, 5_000)).toEqual({ eventTime: 15_000, timeFlagged: true });
    expect(eventTimeOf(undefined, 10_000, 5_000)).toEqual({ eventTime: 10_000, timeFlagged: false });
  });
});
