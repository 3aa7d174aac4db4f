import { describe, expect, it } from 'vitest';
import { decodeEvent, EventDecodeError, trackedEventV2, type TrackedEvent } from './event.js';

const valid: TrackedEvent = {
  v: 2,
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
};

/** What the schema alone makes of a record: the oracle the decoder's quick check is held to. */
function bySchema(record: unknown): { ok: true; event: unknown } | { ok: false } {
  const result = trackedEventV2.safeParse(record);
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
  true, false, [], ['x'], {}, { a: 1 }, { a: 'b' }, { __proto__: 'x' }, 'pageview', 2, 1,
];

function variants(): { label: string; record: unknown }[] {
  const out: { label: string; record: unknown }[] = [{ label: 'valid', record: valid }];
  for (const key of Object.keys(valid) as (keyof TrackedEvent)[]) {
    for (const value of ODD_VALUES) out.push({ label: `${key} = ${JSON.stringify(value)}`, record: { ...valid, [key]: value } });
    const { [key]: _dropped, ...without } = valid;
    out.push({ label: `without ${key}`, record: without });
    out.push({ label: `without ${key}, with an extra field`, record: { ...without, extra: 'x' } });
  }
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

describe('decodeEvent of version 2 records', () => {
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

  it('names the field of a refused record', () => {
    const got = byDecoder({ ...valid, site: 'bad site!' });
    expect(got).toEqual({ ok: false, error: expect.stringMatching(/^site: /) });
    expect(byDecoder({ ...valid, eventTime: -1 })).toEqual({ ok: false, error: expect.stringMatching(/^eventTime: /) });
  });
});
