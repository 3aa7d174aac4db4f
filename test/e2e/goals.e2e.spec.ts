import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntilStored } from '../support/stored-events.js';
import { BROWSER_UA, startTestSystem, tokenFor, type TestSystem } from '../support/test-system.js';

const SITE = 'shop';
type Hit = { visitor: number; page?: string; event?: string; props?: Record<string, string>; bot?: boolean };

const HITS: Hit[] = [
  { visitor: 0, page: '/' },
  { visitor: 0, page: '/thanks/order-1' },
  { visitor: 0, page: '/thanks/order-2' },
  { visitor: 1, page: '/' },
  { visitor: 1, event: 'signup', props: { plan: 'pro' } },
  { visitor: 2, page: '/thanks' },
  { visitor: 2, event: 'signup', props: { plan: 'basic' } },
  { visitor: 2, event: 'signup', props: { plan: 'pro' } },
  { visitor: 3, page: '/pricing' },
  { visitor: 4, page: '/thanks/x', bot: true },
  { visitor: 4, event: 'signup', props: { plan: 'pro' }, bot: true },
];

describe('goals: managed with the admin token, converted by the events sent', () => {
  let system: TestSystem;
  const admin = (): Record<string, string> => ({ Authorization: `Bearer ${system.admin.token}`, 'Content-Type': 'application/json' });
  const addGoal = (body: unknown, headers = admin()) => fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals`, { method: 'POST', headers, body: JSON.stringify(body) });

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    for (const h of HITS) {
      const body = { site: SITE, url: `https://shop.example${h.page ?? '/'}`, ...(h.event ? { type: 'event', name: h.event, props: h.props } : {}) };
      const res = await fetch(`${system.ingestUrl}/api/collect`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': h.bot ? 'curl/8' : `${BROWSER_UA} g/${h.visitor}` }, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
    }
    await waitUntilStored(system, HITS.length, 20_000);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('counts conversions, converters and the conversion rate of page and event goals, with wildcards and property values', async () => {
    const targets = [{ page: '/thanks*' }, { event: 'signup' }, { event: 'signup', property: { key: 'plan', value: 'pro' } }, { page: '/nowhere' }];
    for (const t of targets) expect((await addGoal(t)).status).toBe(201);

    const people = HITS.filter((h) => !h.bot);
    const matches: ((h: Hit) => boolean)[] = [(h) => h.page?.startsWith('/thanks') === true && !h.event, (h) => h.event === 'signup', (h) => h.event === 'signup' && h.props?.['plan'] === 'pro', (h) => h.page === '/nowhere'];
    const visitors = new Set(people.map((h) => h.visitor)).size;
    const expected = matches.map((m) => {
      const hits = people.filter(m);
      const converters = new Set(hits.map((h) => h.visitor)).size;
      return { conversions: hits.length, converters, conversionRate: Math.round((converters / visitors) * 1000) / 10 };
    });
    // worth checking: three visits to thank-you pages by two visitors, two pro signups by two
    expect(expected.map((e) => [e.conversions, e.converters])).toEqual([[3, 2], [3, 2], [2, 2], [0, 0]]);

    const token = await tokenFor(system, SITE);
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/conversions?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { visitors: number; goals: { goal: Record<string, unknown>; conversions: number; converters: number; conversionRate: number }[] };
    expect(body.visitors).toBe(visitors);
    expect(body.goals.map((g) => g.goal)).toEqual(targets.map((t) => expect.objectContaining(t)));
    expect(body.goals.map(({ conversions, converters, conversionRate }) => ({ conversions, converters, conversionRate }))).toEqual(expected);
  });

  it('lists goals with the dashboard token and removes one with the admin token', async () => {
    const created = (await (await addGoal({ event: 'to-remove' })).json()) as { id: string };
    const token = await tokenFor(system, SITE);
    const list = async (): Promise<string[]> => ((await (await fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { goals: { id: string }[] }).goals.map((g) => g.id);
    expect(await list()).toContain(created.id);
    expect((await fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals/${created.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals/${created.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${system.admin.token}` } })).status).toBe(204);
    expect(await list()).not.toContain(created.id);
    expect((await fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals/${created.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${system.admin.token}` } })).status).toBe(404);
  });

  it('refuses a goal without the admin token, for an unknown site, or malformed, naming the field', async () => {
    const token = await tokenFor(system, SITE);
    expect((await addGoal({ page: '/' }, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' })).status).toBe(401);
    const unknown = await fetch(`${system.gatewayUrl}/api/sites/no-such-site/goals`, { method: 'POST', headers: admin(), body: JSON.stringify({ page: '/' }) });
    expect(unknown.status).toBe(404);
    for (const [body, field] of [[{ page: 'thanks' }, 'page'], [{ page: '/', event: 'x' }, 'page'], [{ event: 'x', property: { key: 'bad key', value: 'v' } }, 'property.key']] as const) {
      const res = await addGoal(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_parameter', field });
    }
  });

  it('filters the figures by goals: goal==<id> selects the events converting any of them, goal!=<id> every other event', async () => {
    const idOf = async (target: unknown): Promise<string> => ((await (await addGoal(target)).json()) as { id: string }).id;
    const thanks = await idOf({ page: '/thanks*' });
    const pro = await idOf({ event: 'signup', property: { key: 'plan', value: 'pro' } });
    const isThanks = (h: Hit): boolean => !h.event && h.page?.startsWith('/thanks') === true;
    const isPro = (h: Hit): boolean => h.event === 'signup' && h.props?.['plan'] === 'pro';
    const token = await tokenFor(system, SITE);
    const range = `from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`;
    const get = (route: string, filter: string): Promise<Response> =>
      fetch(`${system.gatewayUrl}/api/sites/${SITE}/${route}&filter=${encodeURIComponent(filter)}&${range}`, { headers: { Authorization: `Bearer ${token}` } });

    const cases: [string, (h: Hit) => boolean][] = [
      [`goal==${thanks}`, isThanks],
      [`goal==${thanks}|${pro}`, (h) => isThanks(h) || isPro(h)],
      [`goal!=${thanks}`, (h) => !isThanks(h)],
    ];
    for (const [filter, selects] of cases) {
      const selected = HITS.filter(selects);
      const people = selected.filter((h) => !h.bot);
      const visitors = new Set(people.map((h) => h.visitor)).size;
      const res = await get('totals?', filter);
      expect(res.status, filter).toBe(200);
      const totals = (await res.json()) as Record<string, unknown>;
      // each visitor's hits went out one after the other: one session each
      expect({ pageviews: totals['pageviews'], customEvents: totals['customEvents'], botEvents: totals['botEvents'], visitors: totals['visitors'], sessions: totals['sessions'] }, filter).toEqual({
        pageviews: people.filter((h) => !h.event).length,
        customEvents: people.filter((h) => h.event).length,
        botEvents: selected.filter((h) => h.bot).length,
        visitors,
        sessions: visitors,
      });
      const events = new Map<string, Hit[]>();
      for (const h of people) if (h.event) events.set(h.event, [...(events.get(h.event) ?? []), h]);
      const breakdown = (await (await get('breakdown?dimension=event', filter)).json()) as { rows: { value: string; count: number; visitors: number }[] };
      expect(breakdown.rows.map(({ value, count, visitors: v }) => ({ value, count, visitors: v })), filter).toEqual([...events.entries()].map(([value, hits]) => ({ value, count: hits.length, visitors: new Set(hits.map((h) => h.visitor)).size })));
    }

    // the conversions route takes it too: under goal==<page goal>, that goal converts on each of its page views
    const conversions = (await (await get('conversions?', `goal==${thanks}`)).json()) as { goals: { goal: { id: string }; conversions: number }[] };
    expect(conversions.goals.find((g) => g.goal.id === thanks)?.conversions).toBe(HITS.filter((h) => !h.bot && isThanks(h)).length);

    for (const [filter, detail] of [['goal==nope', 'no goal "nope"'], [`goal~${thanks}`, 'goal takes == or !=']] as const) {
      const res = await get('totals?', filter);
      expect(res.status, filter).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_parameter', field: 'filter', detail: expect.stringContaining(detail) });
    }
  });
});
