import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntilStored } from '../support/stored-events.js';
import { BROWSER_UA, startTestSystem, tokenFor, type TestSystem } from '../support/test-system.js';

const SITE = 'shop';
const ORIGIN = 'https://shop.example';

/** One hit the test sends through our collect endpoint: who sent it (a visitor number, or a bot) and the event. */
type Hit = { visitor: number | 'bot'; body: Record<string, unknown> };

const view = (visitor: number, url: string, extra: Record<string, unknown> = {}): Hit => ({ visitor, body: { url: `${ORIGIN}${url}`, ...extra } });
const engaged = (visitor: number | 'bot', url: string, scrollDepth: number, engagedMs: number, extra: Record<string, unknown> = {}): Hit => ({
  visitor,
  body: { type: 'engagement', url: `${ORIGIN}${url}`, scrollDepth, engagedMs, ...extra },
});
const event = (visitor: number, name: string, extra: Record<string, unknown> = {}): Hit => ({ visitor, body: { type: 'event', url: `${ORIGIN}/checkout`, name, ...extra } });

const HITS: Hit[] = [
  view(0, '/a'),
  engaged(0, '/a', 40, 10_000),
  view(0, '/b'),
  engaged(0, '/b', 100, 3_000),
  view(1, '/a'),
  engaged(1, '/a', 80, 5_000),
  engaged(1, '/a', 60, 2_000),
  view(2, '/a', { tag: 'spring' }),
  event(2, 'buy', { tag: 'spring', revenue: { amount: '19.99', currency: 'EUR' } }),
  event(2, 'buy', { revenue: { amount: 5.01, currency: 'EUR' } }),
  event(2, 'buy', { revenue: { amount: '10', currency: 'USD' } }),
  view(3, '/c', { tag: 'spring' }),
  event(3, 'signup', { tag: 'autumn' }),
  event(3, 'buy', { revenue: { amount: '0.000001', currency: 'EUR' } }),
  // a visitor known only by an engagement report: no visitor, session or view of theirs counts
  engaged(4, '/c', 10, 500),
  // a bot's engagement report counts nowhere, not even as a bot event
  engaged('bot', '/a', 0, 99_999),
  // a hash-routed page, and a fragment dropped without hashRouting
  view(5, '/#/about', { hashRouting: true }),
  engaged(5, '/#/about', 50, 1_000, { hashRouting: true }),
  view(5, '/#/team'),
];

/** The page a hit is stored under: the URL's path, with its fragment when hash routing is on. */
function pathOf(hit: Hit): string {
  const url = new URL(String(hit.body['url']));
  return hit.body['hashRouting'] === true ? url.pathname + url.hash : url.pathname;
}

const typeOf = (hit: Hit): string => String(hit.body['type'] ?? 'pageview');
const people = HITS.filter((h) => h.visitor !== 'bot');

/** An amount in millionths (the stored precision), exactly, from the decimal text or number the test sent. */
function micros(amount: unknown): bigint {
  const [whole, fraction = ''] = String(amount).split('.');
  return BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

/** Millionths back to the shortest decimal text. */
function decimal(m: bigint): string {
  const whole = m / 1_000_000n;
  const fraction = (m % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Revenue per currency of the given hits, currencies in alphabetical order. */
function revenueOf(hits: readonly Hit[]): { currency: string; amount: string }[] {
  const sums = new Map<string, bigint>();
  for (const h of hits) {
    const r = h.body['revenue'] as { amount: unknown; currency: string } | undefined;
    if (r) sums.set(r.currency, (sums.get(r.currency) ?? 0n) + micros(r.amount));
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, m]) => ({ currency, amount: decimal(m) }));
}

/** What the pages breakdown should say of each page, from what the test sent. */
function expectedPages(hits: readonly Hit[]): { value: string; count: number; scrollDepth: number | null; timeOnPage: number | null }[] {
  const paths = [...new Set(hits.filter((h) => typeOf(h) === 'pageview').map(pathOf))];
  return paths
    .map((path) => {
      const views = hits.filter((h) => typeOf(h) === 'pageview' && pathOf(h) === path);
      const reports = hits.filter((h) => typeOf(h) === 'engagement' && pathOf(h) === path);
      const depth = reports.reduce((s, h) => s + Number(h.body['scrollDepth']), 0);
      const ms = reports.reduce((s, h) => s + Number(h.body['engagedMs']), 0);
      const reporters = new Set(reports.map((h) => h.visitor)).size;
      return {
        value: path,
        count: views.length,
        scrollDepth: reports.length === 0 ? null : Math.round(depth / reports.length),
        timeOnPage: reports.length === 0 ? null : Math.round(ms / reporters),
      };
    })
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

describe('revenue, engagement and tags from our collect endpoint to the history API', () => {
  let system: TestSystem;
  let token: string;
  const range = (): string => `from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`;
  const get = async <T>(route: string, query = ''): Promise<T> => {
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/${route}?${range()}${query}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status, `${route}${query}: ${res.status}`).toBe(200);
    return route.endsWith('.csv') ? ((await res.text()) as T) : ((await res.json()) as T);
  };
  const collect = (hit: Hit): Promise<Response> =>
    fetch(`${system.ingestUrl}/api/collect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': hit.visitor === 'bot' ? 'curl/8' : `${BROWSER_UA} rev/${hit.visitor}` },
      body: JSON.stringify({ site: SITE, ...hit.body }),
    });

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    for (const h of HITS) {
      const res = await collect(h);
      expect(res.status, JSON.stringify(h)).toBe(202);
    }
    await waitUntilStored(system, HITS.length, 30_000);
    token = await tokenFor(system, SITE);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('refuses each bad new field with a 400 naming it', async () => {
    const refused = async (body: Record<string, unknown>): Promise<unknown> => {
      const res = await collect({ visitor: 9, body });
      expect(res.status).toBe(400);
      return res.json();
    };
    expect(await refused({ url: `${ORIGIN}/`, revenue: { amount: 1, currency: 'EUR' } })).toMatchObject({ error: 'invalid_event', field: 'revenue' });
    expect(await refused({ type: 'event', name: 'buy', url: `${ORIGIN}/`, revenue: { amount: 1, currency: 'euro' } })).toMatchObject({ field: 'revenue.currency' });
    expect(await refused({ type: 'engagement', url: `${ORIGIN}/`, scrollDepth: 101, engagedMs: 1 })).toMatchObject({ field: 'scrollDepth' });
    expect(await refused({ type: 'engagement', url: `${ORIGIN}/`, scrollDepth: 1 })).toMatchObject({ field: 'engagedMs', detail: 'required' });
    expect(await refused({ url: `${ORIGIN}/`, tag: 't'.repeat(65) })).toMatchObject({ field: 'tag' });
  });

  it('counts no engagement report in the totals: page views, events, visitors, sessions and bots are those of the rest', async () => {
    const counted = people.filter((h) => typeOf(h) !== 'engagement');
    const visitors = new Set(counted.map((h) => h.visitor));
    const viewsBy = (v: unknown): number => counted.filter((h) => h.visitor === v && typeOf(h) === 'pageview').length;
    const totals = await get<Record<string, number>>('totals');
    expect(totals).toMatchObject({
      pageviews: counted.filter((h) => typeOf(h) === 'pageview').length,
      customEvents: counted.filter((h) => typeOf(h) === 'event').length,
      visitors: visitors.size,
      sessions: visitors.size,
      botEvents: 0,
      bounceRate: Math.round(([...visitors].filter((v) => viewsBy(v) < 2).length / visitors.size) * 10_000) / 10_000,
    });
    // worth checking: 7 views, 5 events, 5 visitors (the one known only by engagement is not one)
    expect([totals['pageviews'], totals['customEvents'], totals['visitors']]).toEqual([7, 5, 5]);
  });

  it("gives each page its views, mean scroll depth and engaged time per visitor, hash-routed pages under their fragment", async () => {
    const { rows } = await get<{ rows: { value: string; count: number; scrollDepth: number | null; timeOnPage: number | null }[] }>('breakdown', '&dimension=page');
    const expected = expectedPages(people);
    expect(rows.map(({ value, count, scrollDepth, timeOnPage }) => ({ value, count, scrollDepth, timeOnPage }))).toEqual(expected);
    expect(expected.find((p) => p.value === '/a')).toEqual({ value: '/a', count: 3, scrollDepth: 60, timeOnPage: 8_500 });
    expect(expected.map((p) => p.value)).toContain('/#/about');

    // under a filter on the page, its own engagement reports alone
    const filtered = await get<{ rows: { value: string; scrollDepth: number | null; timeOnPage: number | null }[] }>('breakdown', `&dimension=page&filter=${encodeURIComponent('page==/b')}`);
    expect(filtered.rows).toEqual([expect.objectContaining(expectedPages(people.filter((h) => pathOf(h) === '/b'))[0])]);

    // the CSV says the same
    const csv = await get<string>('breakdown.csv', '&dimension=page');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('value,count,visitors,scrollDepth,timeOnPage');
    expect(lines.slice(1).map((l) => l.split(',')).map(([value, count, , depth, time]) => [value, Number(count), depth === '' ? null : Number(depth), time === '' ? null : Number(time)])).toEqual(
      expected.map((p) => [p.value, p.count, p.scrollDepth, p.timeOnPage]),
    );
  });

  it('sums the revenue of each custom event per currency, exactly, and never across currencies', async () => {
    const { rows } = await get<{ rows: { value: string; count: number; revenue: { currency: string; amount: string }[] }[] }>('breakdown', '&dimension=event');
    const names = [...new Set(people.filter((h) => typeOf(h) === 'event').map((h) => String(h.body['name'])))];
    const expected = names.map((name) => {
      const of = people.filter((h) => typeOf(h) === 'event' && h.body['name'] === name);
      return { value: name, count: of.length, revenue: revenueOf(of) };
    });
    expect(rows.map(({ value, count, revenue }) => ({ value, count, revenue })).sort((a, b) => (a.value < b.value ? -1 : 1))).toEqual(expected.sort((a, b) => (a.value < b.value ? -1 : 1)));
    expect(expected.find((e) => e.value === 'buy')!.revenue).toEqual([{ currency: 'EUR', amount: '25.000001' }, { currency: 'USD', amount: '10' }]);
    const csv = await get<string>('breakdown.csv', '&dimension=event');
    expect(csv).toContain('buy,4,');
    expect(csv).toContain(',25.000001 EUR; 10 USD\r\n');
  });

  it('gives each goal the revenue of its conversions per currency, none for a page goal', async () => {
    const targets = [{ event: 'buy' }, { page: '/a' }, { event: 'signup' }];
    for (const t of targets) {
      const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals`, { method: 'POST', headers: { Authorization: `Bearer ${system.admin.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(t) });
      expect(res.status).toBe(201);
    }
    const { goals } = await get<{ goals: { goal: Record<string, unknown>; conversions: number; revenue: { currency: string; amount: string }[] }[] }>('conversions');
    const matching = (t: (typeof targets)[number]): Hit[] =>
      'page' in t ? people.filter((h) => typeOf(h) === 'pageview' && pathOf(h) === t.page) : people.filter((h) => typeOf(h) === 'event' && h.body['name'] === t.event);
    expect(goals.map((g) => ({ conversions: g.conversions, revenue: g.revenue }))).toEqual(targets.map((t) => ({ conversions: matching(t).length, revenue: revenueOf(matching(t)) })));
    expect(goals[0]!.revenue).toHaveLength(2);
  });

  it('filters on the tag: is, is not, and the revenue under it', async () => {
    const tagged = (op: '==' | '!=', tag: string): Hit[] => people.filter((h) => typeOf(h) !== 'engagement' && (op === '==' ? h.body['tag'] === tag : h.body['tag'] !== tag));
    for (const [op, tag] of [['==', 'spring'], ['==', 'autumn'], ['!=', 'spring']] as const) {
      const selected = tagged(op, tag);
      const totals = await get<Record<string, number>>('totals', `&filter=${encodeURIComponent(`tag${op}${tag}`)}`);
      expect({ pageviews: totals['pageviews'], customEvents: totals['customEvents'], visitors: totals['visitors'] }, `tag${op}${tag}`).toEqual({
        pageviews: selected.filter((h) => typeOf(h) === 'pageview').length,
        customEvents: selected.filter((h) => typeOf(h) === 'event').length,
        visitors: new Set(selected.map((h) => h.visitor)).size,
      });
    }
    expect(tagged('==', 'spring')).toHaveLength(3);
    const { rows } = await get<{ rows: { value: string; count: number; revenue: unknown[] }[] }>('breakdown', `&dimension=event&filter=${encodeURIComponent('tag==spring')}`);
    expect(rows).toEqual([expect.objectContaining({ value: 'buy', count: 1, revenue: revenueOf(tagged('==', 'spring')) })]);
    const bad = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/totals?${range()}&filter=${encodeURIComponent('tags==x')}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'filter' });
  });
});
