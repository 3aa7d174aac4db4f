import { describe, expect, it } from 'vitest';
import { readUmamiRequest } from './umami-event.js';

const read = (body: unknown) => readUmamiRequest(JSON.stringify(body));
const W = '3b8c1e0a-4a5f-4a8e-9b1d-2f6f1c0d7e11';

describe('readUmamiRequest', () => {
  it("reads version 2's page view: the path joined to the host name, the title URI-decoded, an empty referrer as none", () => {
    expect(read({ type: 'event', payload: { website: W, hostname: 'a.example', screen: '1280x720', language: 'de-DE', title: encodeURIComponent('Über uns & mehr'), url: encodeURI('/über?x=1'), referrer: '' } })).toEqual({
      ok: true,
      value: { type: 'event', website: W, event: { type: 'pageview', url: `https://a.example${encodeURI('/über?x=1')}`, referrer: null, title: 'Über uns & mehr', screen: '1280x720', language: 'de-DE' } },
    });
  });

  it("reads version 3's custom event: the whole URL, data flattened (nested keys dotted, lists as JSON text, nulls left out), the tag, the timestamp in seconds", () => {
    expect(read({ type: 'event', payload: { website: W, hostname: 'a.example', url: 'https://a.example/cart', referrer: 'https://r.example/', title: '50% off', name: 'checkout', tag: 'b', timestamp: 1_790_000_000, data: { total: 42, cart: { items: 3, coupon: null }, ids: [1, 2] } } })).toEqual({
      ok: true,
      value: {
        type: 'event',
        website: W,
        event: { type: 'event', name: 'checkout', url: 'https://a.example/cart', referrer: 'https://r.example/', title: '50% off', tag: 'b', ts: 1_790_000_000_000, props: { total: 42, 'cart.items': 3, ids: '[1,2]' } },
      },
    });
  });

  it('reads identify with its website only: nothing else of it is kept', () => {
    expect(read({ type: 'identify', payload: { website: W, id: 'user-1', data: { email: 'a@b.example' } } })).toEqual({ ok: true, value: { type: 'identify', website: W } });
  });

  it.each([
    ['not JSON', '{', 'body'],
    ['no type', JSON.stringify({ payload: { website: W } }), 'type'],
    ['another type', JSON.stringify({ type: 'performance', payload: { website: W } }), 'type'],
    ['no payload', JSON.stringify({ type: 'event' }), 'payload'],
    ['no website', JSON.stringify({ type: 'event', payload: { url: '/' } }), 'payload.website'],
    ['no url', JSON.stringify({ type: 'event', payload: { website: W, hostname: 'a.example' } }), 'payload.url'],
    ['a path without a host name', JSON.stringify({ type: 'event', payload: { website: W, url: '/x' } }), 'payload.hostname'],
    ['data as a list', JSON.stringify({ type: 'event', payload: { website: W, hostname: 'a.example', url: '/', name: 'x', data: [1] } }), 'payload.data'],
    ['a numeric title', JSON.stringify({ type: 'event', payload: { website: W, hostname: 'a.example', url: '/', title: 5 } }), 'payload.title'],
  ])('refuses %s, naming the field', (_what, body, field) => {
    const r = readUmamiRequest(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.field).toBe(field);
  });
});
