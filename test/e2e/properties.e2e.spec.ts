import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, unformula } from '../support/csv-reader.js';
import { waitUntilStored } from '../support/stored-events.js';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

const SITE = 'shop';
const MIN = 60_000;
type Props = Record<string, string | number | boolean>;
interface Sent {
  visitor: number;
  name: string;
  props?: Props;
  /** Minutes before the range ends. */
  ago: number;
  bot?: boolean;
}

// three visitors, a bot, one event before the range and one of another name
const SENT: Sent[] = [
  { visitor: 0, name: 'purchase', props: { plan: 'pro', amount: 49, trial: false }, ago: 2 },
  { visitor: 0, name: 'purchase', props: { plan: 'pro', amount: 49 }, ago: 1 },
  { visitor: 1, name: 'purchase', props: { plan: 'basic', amount: 9.5, coupon: '=HYPERLINK("http://x.example","FALL")' }, ago: 2 },
  { visitor: 2, name: 'purchase', props: { plan: 'pro', note: '<img src=x onerror=alert(1)>' }, ago: 1 },
  { visitor: 2, name: 'purchase', ago: 1 },
  { visitor: 1, name: 'signup', props: { plan: 'basic' }, ago: 1 },
  { visitor: 3, name: 'purchase', props: { plan: 'pro' }, ago: 1, bot: true },
  // before the range
  { visitor: 1, name: 'purchase', props: { plan: 'enterprise' }, ago: 4 },
];

describe('custom event properties in the history API', () => {
  let system: TestSystem;
  const end = Math.ceil(Date.now() / MIN) * MIN;
  const range = { from: end - 3 * MIN, to: end };
  const inRange = SENT.filter((s) => !s.bot && s.name === 'purchase' && end - s.ago * MIN >= range.from);

  const get = async (params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
    const q = new URLSearchParams({ from: String(range.from), to: String(range.to), ...params });
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/properties?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** What the test sent, counted its own way: events and distinct visitors per group, most first, ties by name. */
  const tally = (groups: [string, number][]): { value: string; count: number; visitors: number }[] => {
    const by = new Map<string, { count: number; visitors: Set<number> }>();
    for (const [value, visitor] of groups) {
      const g = by.get(value) ?? { count: 0, visitors: new Set<number>() };
      g.count += 1;
      g.visitors.add(visitor);
      by.set(value, g);
    }
    return [...by].map(([value, g]) => ({ value, count: g.count, visitors: g.visitors.size })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  };

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    for (const s of SENT) {
      const res = await fetch(`${system.ingestUrl}/api/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': s.bot ? 'curl/8' : `${BROWSER_UA} v/${s.visitor}` },
        // 30 s into the minute `ago` minutes before the end: inside the clock skew allowed
        body: JSON.stringify({ type: 'event', site: SITE, url: 'https://shop.example/checkout', name: s.name, ts: end - s.ago * MIN + 30_000, ...(s.props ? { props: s.props } : {}) }),
      });
      expect(res.status).toBe(202);
    }
    await waitUntilStored(system, SENT.length, 20_000);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it("lists an event's property names with the events and visitors that carried each, bots and other ranges left out", async () => {
    const { status, body } = await get({ event: 'purchase' });
    expect(status).toBe(200);
    const expected = tally(inRange.flatMap((s) => Object.keys(s.props ?? {}).map((k): [string, number] => [k, s.visitor]))).map(({ value, ...r }) => ({ key: value, ...r }));
    expect(body).toEqual({ site: SITE, event: 'purchase', from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString(), keys: expected });
    // worth checking: plan on 4 events of 3 visitors, ahead of amount
    expect(expected[0]).toEqual({ key: 'plan', count: 4, visitors: 3 });
  });

  it("breaks one property down by value, numbers and booleans as the text they were sent as, and markup as the text it was", async () => {
    for (const key of ['plan', 'amount', 'trial', 'note', 'coupon']) {
      const { status, body } = await get({ event: 'purchase', key });
      expect(status, key).toBe(200);
      const expected = tally(inRange.flatMap((s) => (s.props && key in s.props ? [[String(s.props[key]), s.visitor] as [string, number]] : [])));
      expect(body['rows'], key).toEqual(expected);
    }
    expect((await get({ event: 'purchase', key: 'plan' })).body['rows']).toEqual([
      { value: 'pro', count: 3, visitors: 2 },
      { value: 'basic', count: 1, visitors: 1 },
    ]);
    expect((await get({ event: 'nothing-like-it' })).body['keys']).toEqual([]);
  });

  it('answers the same as CSV, a value a spreadsheet would run as a formula written as text', async () => {
    const csv = async (params: Record<string, string>): Promise<string> => {
      const q = new URLSearchParams({ from: String(range.from), to: String(range.to), ...params });
      const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/properties.csv?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
      expect(res.status).toBe(200);
      return res.text();
    };
    const keys = readCsv(await csv({ event: 'purchase' })).map((r) => ({ key: r['key'], count: Number(r['count']), visitors: Number(r['visitors']) }));
    expect(keys).toEqual((await get({ event: 'purchase' })).body['keys']);
    const coupon = await csv({ event: 'purchase', key: 'coupon' });
    expect(coupon.split('\r\n')[1]).toMatch(/^"'=HYPERLINK/);
    const rows = readCsv(coupon).map((r) => ({ value: unformula(r['value']!), count: Number(r['count']), visitors: Number(r['visitors']) }));
    expect(rows).toEqual((await get({ event: 'purchase', key: 'coupon' })).body['rows']);
    expect(rows).toEqual([{ value: '=HYPERLINK("http://x.example","FALL")', count: 1, visitors: 1 }]);
  });

  it('refuses a missing event, a bad property name and a bad limit, naming each', async () => {
    expect(await get({})).toMatchObject({ status: 400, body: { error: 'invalid_parameter', field: 'event' } });
    expect(await get({ event: 'x'.repeat(121) })).toMatchObject({ status: 400, body: { field: 'event' } });
    expect(await get({ event: 'purchase', key: 'a b' })).toMatchObject({ status: 400, body: { field: 'key' } });
    expect(await get({ event: 'purchase', limit: '0' })).toMatchObject({ status: 400, body: { field: 'limit' } });
  });
});
