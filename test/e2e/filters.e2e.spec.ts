import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntilStored } from '../support/stored-events.js';
import { FIREFOX_UA, IPHONE_UA, expectedBreakdown, pageviewsOf, payloadOf, rowValueOf, ua, type Hit, type Utm, type Visitor } from '../support/sent-visits.js';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SITE = 'shop';

// a day back (CLOCK_SKEW_MS lets the client's `ts` stand), every visitor one session
const BASE = Math.floor((Date.now() - DAY) / HOUR) * HOUR;
const RANGE = { from: BASE - HOUR, to: BASE + HOUR };
const timeOf = (hit: Hit): number => BASE + hit.at * MIN + 5_000;

const newsletter: Utm = { source: 'newsletter', medium: 'email', campaign: 'launch' };
const social: Utm = { source: 'social', medium: 'cpc', campaign: 'spring' };
const MARKUP = '<img src=x onerror=alert(1)>';

const VISITORS: Visitor[] = [
  { ua: ua(BROWSER_UA, 0), country: 'KR', hits: [{ at: 0, page: '/', referrer: 'https://news.example/a', utm: newsletter }] },
  { ua: ua(BROWSER_UA, 1), country: 'KR', hits: [{ at: 2, page: '/pricing', referrer: 'https://www.search.example/?q=shop' }, { at: 3, page: '/docs/start' }] },
  { ua: ua(FIREFOX_UA, 2), country: 'DE', hits: [{ at: 5, page: '/' }, { at: 6, page: '/pricing' }, { at: 7, page: '/pricing', name: 'signup', props: { plan: 'pro' } }] },
  { ua: ua(IPHONE_UA, 3), country: 'US', hits: [{ at: 12, page: '/blog/kafka', utm: social }, { at: 13, page: '/pricing' }, { at: 14, page: '/pricing', name: 'signup', props: { plan: 'basic' } }] },
  {
    ua: ua(IPHONE_UA, 4),
    country: 'DE',
    hits: [{ at: 1, page: '/blog/kafka', referrer: 'https://news.example/b', utm: newsletter }, { at: 3, page: '/pricing' }, { at: 4, page: '/checkout' }, { at: 5, page: '/checkout', name: 'purchase', props: { plan: 'pro', coupon: MARKUP } }],
  },
  { ua: ua(BROWSER_UA, 5), hits: [{ at: 14, page: '/docs/start' }, { at: 16, page: '/' }] },
  { ua: ua(FIREFOX_UA, 6), country: 'US', hits: [{ at: 15, page: '/', referrer: 'https://www.search.example/' }, { at: 15.5, page: '/', name: 'download', props: { file: 'a.pdf' } }] },
  // a custom event alone: a session without a page view, so without entry or exit page
  { ua: ua(BROWSER_UA, 7), country: 'KR', hits: [{ at: 7, page: '/docs/start', name: 'download', props: { file: 'b.pdf' } }] },
  { ua: ua(IPHONE_UA, 8), country: 'KR', hits: [{ at: 20, page: '/pricing', referrer: 'https://news.example/c' }, { at: 21, page: '/checkout' }, { at: 22, page: '/pricing' }] },
];
// a bot with the same values as the visitors: counted apart, in botEvents alone
const BOT: Visitor = { ua: 'curl/8', country: 'KR', hits: [{ at: 3, page: '/pricing', referrer: 'https://news.example/a' }, { at: 4, page: '/', name: 'signup', props: { plan: 'pro' } }] };

interface TestFilter {
  dimension: string;
  operator: '==' | '!=' | '~' | '!~' | '*=' | '!*=';
  values: string[];
}

const text = (f: TestFilter): string => `${f.dimension}${f.operator}${f.values.map((v) => v.replace(/[\\|]/g, (c) => `\\${c}`)).join('|')}`;

/** Dimensions of a visit: its first page view's (its source and entry page). */
const VISIT_DIMENSIONS = new Set(['entryPage', 'referrer', 'utmSource', 'utmMedium', 'utmCampaign']);

/**
 * The value a filter compares for a hit: for the source and entry page, the session's first page
 * view's; for the exit page, its last one's; else the hit's own. Undefined for a session without
 * page views, and for a bot (bots have no sessions).
 */
function filteredValue(dimension: string, v: Visitor, hit: Hit): string | undefined {
  const first = pageviewsOf(v)[0];
  if (VISIT_DIMENSIONS.has(dimension)) return v === BOT || !first ? undefined : rowValueOf(dimension === 'entryPage' ? 'page' : dimension, v, first);
  if (dimension === 'exitPage') return v === BOT ? undefined : pageviewsOf(v).at(-1)?.page;
  return rowValueOf(dimension, v, hit);
}

/** A whole value against a pattern whose `*` stands for any run of characters (letter case significant). */
const wildcard = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's').test(value);

function matches(f: TestFilter, v: Visitor, hit: Hit): boolean {
  const value = filteredValue(f.dimension, v, hit);
  // a session without page views has no source, entry or exit page for any filter to select
  if (value === undefined) return false;
  const contains = f.values.some((x) => value.toLowerCase().includes(x.toLowerCase()));
  // a value that is not there matches no pattern, not even *
  const matched = value !== '' && f.values.some((p) => wildcard(p, value));
  switch (f.operator) {
    case '==':
      return f.values.includes(value);
    case '!=':
      return !f.values.includes(value);
    case '~':
      return contains;
    case '!~':
      return !contains;
    case '*=':
      return matched;
    case '!*=':
      return !matched;
  }
}

const selectedHits = (filters: readonly TestFilter[], v: Visitor): Hit[] => v.hits.filter((h) => filters.every((f) => matches(f, v, h)));

/** The totals the API should answer under the filters, from what was sent. */
function expectedTotals(filters: readonly TestFilter[]) {
  const hits = VISITORS.map((v) => selectedHits(filters, v));
  const sessions = VISITORS.filter((_v, i) => hits[i]!.length > 0);
  const bounces = sessions.filter((v) => pageviewsOf(v).length <= 1).length;
  return {
    pageviews: hits.flat().filter((h) => h.name === undefined).length,
    customEvents: hits.flat().filter((h) => h.name !== undefined).length,
    visitors: sessions.length,
    sessions: sessions.length,
    bounceRate: sessions.length === 0 ? 0 : Math.round((bounces / sessions.length) * 1e4) / 1e4,
    botEvents: selectedHits(filters, BOT).length,
  };
}

const DIMENSIONS = ['page', 'entryPage', 'exitPage', 'referrer', 'utmSource', 'utmMedium', 'utmCampaign', 'country', 'browser', 'os', 'device', 'event', 'prop.plan'];

/** The values the visitors have in a dimension, most frequent first. */
function valuesOf(dimension: string): string[] {
  const counts = new Map<string, number>();
  for (const v of VISITORS) for (const h of v.hits) {
    const value = filteredValue(dimension, v, h);
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([value]) => value);
}

/**
 * Every operator on every dimension: is, is one of, is not, contains (a part of the value in the
 * other letter case), does not contain, matches and does not match (the value's first and last
 * characters around a *, which other values may match too).
 */
function filterCases(): TestFilter[] {
  return DIMENSIONS.flatMap((dimension) => {
    const [first, second] = valuesOf(dimension);
    if (!first || !second) throw new Error(`the fixture needs two values of ${dimension}`);
    const part = first.length > 2 ? first.slice(1, -1) : first;
    const swapped = [...part].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
    const pattern = first.length > 2 ? `${first[0]}*${first.at(-1)}` : `${first}*`;
    return [
      { dimension, operator: '==', values: [first] },
      { dimension, operator: '==', values: [first, second] },
      { dimension, operator: '!=', values: [first] },
      { dimension, operator: '~', values: [swapped] },
      { dimension, operator: '!~', values: [swapped] },
      { dimension, operator: '*=', values: [pattern] },
      { dimension, operator: '!*=', values: [pattern] },
      // * matches every value that is there: its negation keeps the events without one
      { dimension, operator: '!*=', values: ['*'] },
    ] satisfies TestFilter[];
  });
}

describe('filters on every history route, counted against what the test sent', () => {
  let system: TestSystem;

  const get = async (route: string, filters: readonly TestFilter[], params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
    const q = new URLSearchParams({ from: String(RANGE.from), to: String(RANGE.to), ...params });
    for (const f of filters) q.append('filter', text(f));
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/${route}?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const getRaw = async (route: string, query: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/${route}?from=${RANGE.from}&to=${RANGE.to}&${query}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    system = await startTestSystem({ COUNTRY_HEADER: 'x-country', CLOCK_SKEW_MS: String(2 * DAY), RATE_LIMIT_PER_SECOND: '0' });
    let sent = 0;
    for (const v of [...VISITORS, BOT]) {
      sent += v.hits.length;
      const res = await fetch(`${system.ingestUrl}/api/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': v.ua, ...(v.country ? { 'x-country': v.country } : {}) },
        body: JSON.stringify(v.hits.map((h) => payloadOf(h, SITE, timeOf(h)))),
      });
      expect(res.status).toBe(202);
    }
    await waitUntilStored(system, sent, 20_000);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('answers the totals of the selected events for every operator on every dimension', async () => {
    const cases = filterCases();
    let selectedSomething = 0;
    let leftSomethingOut = 0;
    for (const f of cases) {
      const expected = expectedTotals([f]);
      const { status, body } = await get('totals', [f]);
      expect(status, text(f)).toBe(200);
      expect(body, text(f)).toMatchObject({ ...expected, filters: [text(f)] });
      if (expected.pageviews + expected.customEvents > 0) selectedSomething += 1;
      if (expected.visitors < VISITORS.length) leftSomethingOut += 1;
    }
    // the cases are worth their name: most select something, and most leave something out
    expect(selectedSomething).toBeGreaterThan(cases.length * 0.7);
    expect(leftSomethingOut).toBeGreaterThan(cases.length * 0.7);
  });

  it('draws the time series of the selected events for every operator on every dimension', async () => {
    for (const f of filterCases()) {
      const expected = expectedTotals([f]);
      const { status, body } = await get('timeseries', [f], { interval: 'minute' });
      expect(status, `${text(f)}: ${JSON.stringify(body).slice(0, 200)}`).toBe(200);
      const points = body['points'] as { t: number; pageviews: number; customEvents: number; sessions: number }[];
      // per minute, the selected page views sent in it
      const perMinute = new Map<number, number>();
      for (const v of VISITORS) for (const h of selectedHits([f], v)) if (h.name === undefined) perMinute.set(Math.floor(timeOf(h) / MIN) * MIN, (perMinute.get(Math.floor(timeOf(h) / MIN) * MIN) ?? 0) + 1);
      expect(points.filter((p) => p.pageviews > 0).map((p) => [p.t, p.pageviews]), text(f)).toEqual([...perMinute].sort((a, b) => a[0] - b[0]));
      expect(points.reduce((n, p) => n + p.customEvents, 0), text(f)).toBe(expected.customEvents);
      expect(points.reduce((n, p) => n + p.sessions, 0), text(f)).toBe(expected.sessions);
    }
  });

  it('breaks the selected events down by page, entry page and referrer for every operator on every dimension', async () => {
    for (const f of filterCases()) {
      const hitsOf = (v: Visitor): Hit[] => selectedHits([f], v);
      const sessions = VISITORS.filter((v) => hitsOf(v).length > 0);
      for (const dimension of ['page', 'referrer', 'event']) {
        const { status, body } = await get('breakdown', [f], { dimension, limit: '100' });
        expect(status, text(f)).toBe(200);
        expect(body['rows'], `${dimension} under ${text(f)}`).toEqual(expectedBreakdown(dimension, VISITORS, hitsOf));
      }
      for (const dimension of ['entryPage', 'exitPage']) {
        const { body } = await get('breakdown', [f], { dimension, limit: '100' });
        expect(body['rows'], `${dimension} under ${text(f)}`).toEqual(expectedBreakdown(dimension, sessions));
      }
    }
  });

  it('combines filters with AND, on the time series too', async () => {
    const filters: TestFilter[] = [
      { dimension: 'device', operator: '==', values: ['mobile'] },
      { dimension: 'page', operator: '!=', values: ['/checkout'] },
    ];
    const expected = expectedTotals(filters);
    expect(expected.pageviews).toBeGreaterThan(0);
    expect(expected.visitors).toBeLessThan(expectedTotals([filters[0]!]).visitors + 1);
    expect((await get('totals', filters)).body).toMatchObject(expected);
    const { body } = await get('timeseries', filters, { interval: 'minute' });
    const points = body['points'] as { t: number; pageviews: number; customEvents: number; sessions: number }[];
    expect(points).toHaveLength((RANGE.to - RANGE.from) / MIN);
    // per minute, the selected page views sent in it
    const perMinute = new Map<number, number>();
    for (const v of VISITORS) for (const h of selectedHits(filters, v)) if (h.name === undefined) perMinute.set(Math.floor(timeOf(h) / MIN) * MIN, (perMinute.get(Math.floor(timeOf(h) / MIN) * MIN) ?? 0) + 1);
    expect(points.filter((p) => p.pageviews > 0).map((p) => [p.t, p.pageviews])).toEqual([...perMinute].sort((a, b) => a[0] - b[0]));
    expect(points.reduce((n, p) => n + p.sessions, 0)).toBe(expected.sessions);
  });

  it("filters a custom event's properties, a funnel and the per-second page views", async () => {
    const country: TestFilter = { dimension: 'country', operator: '==', values: ['DE'] };
    const plans = (await get('properties', [country], { event: 'signup', key: 'plan' })).body['rows'];
    const deSignups = VISITORS.filter((v) => v.country === 'DE').flatMap((v) => v.hits.filter((h) => h.name === 'signup').map((h) => h.props?.['plan']));
    expect(plans).toEqual(deSignups.map((plan) => ({ value: plan, count: 1, visitors: 1 })));

    // visitors on an iPhone who went from /pricing to /checkout in their session
    const iphone: TestFilter = { dimension: 'browser', operator: '==', values: ['Mobile Safari'] };
    const steps = ['/pricing', '/checkout'];
    const reached = (v: Visitor): number => {
      let step = 0;
      for (const h of pageviewsOf(v)) if (step < steps.length && h.page === steps[step]) step += 1;
      return step;
    };
    const inFilter = VISITORS.filter((v) => selectedHits([iphone], v).length > 0);
    const q = new URLSearchParams({ from: String(RANGE.from), to: String(RANGE.to), filter: text(iphone) });
    for (const s of steps) q.append('step', `page:${s}`);
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/funnel?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    const answer = (await res.json()) as { steps: { visitors: number }[] };
    expect(answer.steps.map((s) => s.visitors)).toEqual([inFilter.filter((v) => reached(v) >= 1).length, inFilter.filter((v) => reached(v) >= 2).length]);
    expect(answer.steps[1]!.visitors).toBeGreaterThan(0);

    const pageviews = (await get('pageviews', [country])).body['pageviews'];
    expect(pageviews).toBe(expectedTotals([country]).pageviews);
  });

  it('refuses a bad filter with a 400 naming it, never answering unfiltered', async () => {
    for (const bad of ['nope==x', 'page=x', 'page==', 'page==a||b', 'prop.bad name==x', 'referrer<>x', '==x']) {
      const { status, body } = await getRaw('totals', new URLSearchParams({ filter: bad }).toString());
      expect(status, bad).toBe(400);
      expect(body, bad).toMatchObject({ error: 'invalid_parameter', field: 'filter' });
      expect(String(body['detail']), bad).toContain('filter 1');
    }
    const many = Array.from({ length: 21 }, () => 'page==/').map((f) => `filter=${encodeURIComponent(f)}`).join('&');
    expect((await getRaw('breakdown', `dimension=page&${many}`)).status).toBe(400);
    for (const route of ['timeseries', 'breakdown?dimension=page', 'properties?event=signup', 'conversions', 'breakdown.csv?dimension=page']) {
      const [path, extra] = route.split('?');
      expect((await getRaw(path!, `${extra ?? ''}&filter=${encodeURIComponent('colour==red')}`)).status, route).toBe(400);
    }
  });

  it('takes values with | and markup as the text they are', async () => {
    const coupon: TestFilter = { dimension: 'prop.coupon', operator: '==', values: [MARKUP, 'a|b'] };
    expect((await get('totals', [coupon])).body).toMatchObject(expectedTotals([coupon]));
    expect(expectedTotals([coupon]).customEvents).toBe(1);
  });
});
