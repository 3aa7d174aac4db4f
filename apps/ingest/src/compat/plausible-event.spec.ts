import { describe, expect, it } from 'vitest';
import { readPlausibleEvent } from './plausible-event.js';

const read = (body: unknown) => readPlausibleEvent(JSON.stringify(body));

describe('readPlausibleEvent', () => {
  it('reads a page view with short keys; the referrer null when absent', () => {
    expect(read({ n: 'pageview', u: 'https://a.example/x', d: 'a.example', v: 25 })).toEqual({
      ok: true,
      value: { domains: ['a.example'], event: { type: 'pageview', url: 'https://a.example/x', referrer: null } },
    });
  });

  it('reads long keys, props given as JSON text (older trackers), revenue, and drops props without a value', () => {
    expect(read({ name: 'Buy', url: 'https://a.example/', domain: 'a.example', referrer: 'https://r.example/', props: JSON.stringify({ plan: 'pro', none: null }), revenue: { amount: '9.99', currency: 'EUR' } })).toEqual({
      ok: true,
      value: { domains: ['a.example'], event: { type: 'event', name: 'Buy', url: 'https://a.example/', referrer: 'https://r.example/', props: { plan: 'pro' }, revenue: { amount: '9.99', currency: 'EUR' } } },
    });
  });

  it('splits a comma-separated domain list into distinct sites', () => {
    const r = read({ n: 'pageview', u: 'https://a.example/', d: 'a.example, b.example,a.example,' });
    expect(r.ok && r.value.domains).toEqual(['a.example', 'b.example']);
  });

  it('reads an engagement event with its scroll depth and engaged time, and hash routing', () => {
    expect(read({ n: 'engagement', u: 'https://a.example/#/faq', d: 'a.example', sd: 73, e: 5400, h: 1 })).toEqual({
      ok: true,
      value: { domains: ['a.example'], event: { type: 'engagement', url: 'https://a.example/#/faq', referrer: null, hashRouting: true, scrollDepth: 73, engagedMs: 5400 } },
    });
  });

  it('leaves revenue on a page view out, as their server ignores it there', () => {
    const r = read({ n: 'pageview', u: 'https://a.example/', d: 'a.example', $: { amount: 1, currency: 'USD' } });
    expect(r.ok && r.value.event['revenue']).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', 'body'],
    ['an array', '[]', 'body'],
    ['no name', JSON.stringify({ u: 'https://a.example/', d: 'a.example' }), 'name'],
    ['no url', JSON.stringify({ n: 'pageview', d: 'a.example' }), 'url'],
    ['no domain', JSON.stringify({ n: 'pageview', u: 'https://a.example/' }), 'domain'],
    ['an empty domain list', JSON.stringify({ n: 'pageview', u: 'https://a.example/', d: ' , ' }), 'domain'],
    ['a numeric referrer', JSON.stringify({ n: 'pageview', u: 'https://a.example/', d: 'a.example', r: 5 }), 'referrer'],
    ['props as a list', JSON.stringify({ n: 'X', u: 'https://a.example/', d: 'a.example', p: [1] }), 'props'],
    ['props as text that is not an object', JSON.stringify({ n: 'X', u: 'https://a.example/', d: 'a.example', p: 'plan' }), 'props'],
    ['revenue as a number', JSON.stringify({ n: 'X', u: 'https://a.example/', d: 'a.example', $: 5 }), 'revenue'],
  ])('refuses %s, naming the field', (_what, body, field) => {
    const r = readPlausibleEvent(body);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.field).toBe(field);
  });
});
