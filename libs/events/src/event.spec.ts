import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, EventDecodeError, trackedEventV2, trackedEventV3, type TrackedEvent } from './event.js';

const valid: TrackedEvent = {
  v: 3,
  id: '0b7e2f0a-3c1d-4e5f-8a9b-1c2d3e4f5a6b',
  clientEventId: 'abcdefgh12',
  type: 'event',
  name: 'signup',
  props: { plan: 'pro', seats: '3' },
  site: 'blog.example',
  url: 'https://example.com/pricing?x=1',
  hostname: 'example.com',
  path: '/pricing',
  referrer: 'https://news.example/',
  referrerDomain: 'news.example',
  title: 'Pricing',
  screen: '1920x1080',
  language: 'en-US',
  utm: { source: 'newsletter', medium: 'email', campaign: null, term: null, content: null },
  browser: 'Firefox',
  os: 'Linux',
  device: 'desktop',
  isBot: false,
  country: 'DE',
  visitorId: 'f00d',
  eventTime: 1_795_000_000_123,
  clientTime: null,
  timeFlagged: false,
  receivedAt: 1_795_000_000_200,
  tag: 'spring-sale',
  revenue: { amount: '19.99', currency: 'EUR' },
  scrollDepth: null,
  engagedMs: null,
};

const engagement: TrackedEvent = { ...valid, type: 'engagement', name: null, props: {}, revenue: null, scrollDepth: 75, engagedMs: 12_500 };

/** What the schema alone makes of a record: the oracle the decoder's quick check is held to. */
function bySchema(record: unknown): { ok: true; event: unknown } | { ok: false } {
  if ((record as { v?: unknown }).v === 2) {
    const old = trackedEventV2.safeParse(record);
    return old.success ? { ok: true, event: { ...old.data, v: 3, tag: null, revenue: null, scrollDepth: null, engagedMs: null } } : { ok: false };
  }
  const result = trackedEventV3.safeParse(record);
  return result.success ? { ok: true, event: result.data } : { ok: false };
}

function byDecoder(record: unknown): { ok: true; event: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, event: decodeEvent(Buffer.from(JSON.stringify(record))) };
  } catch (err) {
    if (!(err instanceof EventDecodeError)) throw err;
    return { ok: false, error: err.detail };
  }
}

/** Values of every kind, each put in every field in turn. */
const ODD_VALUES: unknown[] = [
  null, '', 'x', 'not-a-uuid', '0b7e2f0a-3c1d-9e5f-8a9b-1c2d3e4f5a6b', 'bad site!', 'a'.repeat(65), 0, -1, 1.5, 2 ** 53, 1_795_000_000_000,
  true, false, [], ['x'], {}, { a: 1 }, { a: 'b' }, { __proto__: 'x' }, 'pageview', 'engagement', 3, 2, 1, 100, 101,
  { amount: '1.5', currency: 'USD' }, { amount: 1.5, currency: 'USD' }, { amount: '1.5', currency: 'usd' }, { amount: '1e3', currency: 'USD' }, { amount: '1.5' },
];

function variants(): { label: string; record: unknown }[] {
  const out: { label: string; record: unknown }[] = [{ label: 'valid', record: valid }];
  for (const base of [valid, engagement]) {
    for (const key of Object.keys(base) as (keyof TrackedEvent)[]) {
      for (const value of ODD_VALUES) out.push({ label: `${base.type}: ${key} = ${JSON.stringify(value)}`, record: { ...base, [key]: value } });
      const { [key]: _dropped, ...without } = base;
      out.push({ label: `${base.type}: without ${key}`, record: without });
      out.push({ label: `${base.type}: without ${key}, with an extra field`, record: { ...without, extra: 'x' } });
    }
  }
  out.push({ label: 'revenue with an extra field', record: { ...valid, revenue: { amount: '1', currency: 'EUR', extra: 1 } } });
  for (const key of Object.keys(valid.utm)) {
    for (const value of ODD_VALUES) out.push({ label: `utm.${key} = ${JSON.stringify(value)}`, record: { ...valid, utm: { ...valid.utm, [key]: value } } });
  }
  out.push({ label: 'utm with an extra field', record: { ...valid, utm: { ...valid.utm, extra: null } } });
  for (const value of ODD_VALUES) out.push({ label: `props.plan = ${JSON.stringify(value)}`, record: { ...valid, props: { ...valid.props, plan: value } } });
  out.push({ label: 'props with a __proto__ key', record: JSON.parse(`{"__proto__":"x"}`) as unknown });
  out.push({ label: 'an extra top-level field', record: { ...valid, extra: 1 } });
  out.push({ label: 'nil uuid', record: { ...valid, id: '00000000-0000-0000-0000-000000000000' } });
  out.push({ label: 'upper-case uuid', record: { ...valid, id: valid.id.toUpperCase() } });
  out.push({ label: 'a pageview with every nullable field null', record: { ...valid, type: 'pageview', name: null, clientEventId: null, referrer: null, referrerDomain: null, title: null, screen: null, language: null, browser: null, os: null, country: null, clientTime: 5, utm: { source: null, medium: null, campaign: null, term: null, content: null }, props: {} } });
  return out;
}

describe('decodeEvent of version 3 records', () => {
  it('accepts exactly what the schema accepts, and gives what the schema gives', () => {
    let accepted = 0;
    let refused = 0;
    for (const { label, record } of variants()) {
      const expected = bySchema(record);
      const got = byDecoder(record);
      expect(got.ok, label).toBe(expected.ok);
      if (expected.ok && got.ok) {
        expect(got.event, label).toEqual(expected.event);
        accepted += 1;
      } else refused += 1;
    }
    // the variants reach both outcomes many times over (a check that cannot fail would not)
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(300);
  });

  it('upgrades a version 2 record: no tag, revenue or engagement', () => {
    const { tag: _t, revenue: _r, scrollDepth: _s, engagedMs: _e, ...v2 } = { ...valid, v: 2 };
    expect(decodeEvent(Buffer.from(JSON.stringify(v2)))).toEqual({ ...valid, tag: null, revenue: null, scrollDepth: null, engagedMs: null });
    expect(() => decodeEvent(Buffer.from(JSON.stringify({ ...v2, type: 'engagement' })))).toThrow(/^undecodable event: type:/);
  });

  it('round-trips an engagement event and a revenue exactly', () => {
    expect(decodeEvent(encodeEvent(engagement))).toEqual(engagement);
    expect(decodeEvent(encodeEvent(valid)).revenue).toEqual({ amount: '19.99', currency: 'EUR' });
  });

  it('names the field of a refused record', () => {
    const got = byDecoder({ ...valid, site: 'bad site!' });
    expect(got).toEqual({ ok: false, error: expect.stringMatching(/^site: /) });
    expect(byDecoder({ ...valid, eventTime: -1 })).toEqual({ ok: false, error: expect.stringMatching(/^eventTime: /) });
  });
});
