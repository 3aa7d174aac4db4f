import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntilStored } from '../support/stored-events.js';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

const SITE = 'shop';
const SESSION_MINUTES = 1;
/** A hit: seconds after the start, and a page path or a custom event name. */
type Hit = { at: number; page?: string; event?: string };
interface Visitor {
  hits: Hit[];
  bot?: boolean;
}

const VISITORS: Visitor[] = [
  // the whole funnel in one session
  { hits: [{ at: 0, page: '/' }, { at: 10, page: '/pricing' }, { at: 20, event: 'signup' }] },
  // the steps out of order: only the first counts
  { hits: [{ at: 0, page: '/pricing' }, { at: 10, page: '/' }, { at: 15, event: 'signup' }] },
  // the first step, then a new session (more than a minute later) with the rest: not one session
  { hits: [{ at: 0, page: '/' }, { at: 130, page: '/pricing' }, { at: 140, event: 'signup' }] },
  // other pages between the steps are allowed
  { hits: [{ at: 5, page: '/' }, { at: 8, page: '/blog' }, { at: 12, page: '/pricing' }] },
  // a second session that goes further than the first: the visitor counts at the furthest step
  { hits: [{ at: 0, page: '/' }, { at: 100, page: '/' }, { at: 110, page: '/pricing' }, { at: 115, event: 'signup' }] },
  // none of the first step
  { hits: [{ at: 3, event: 'signup' }] },
  // a bot doing everything: left out
  { bot: true, hits: [{ at: 0, page: '/' }, { at: 1, page: '/pricing' }, { at: 2, event: 'signup' }] },
];

/** The test's own funnel: per visitor, split into sessions by the gap, the furthest step reached in order. */
function expectedVisitors(steps: ((h: Hit) => boolean)[]): number[] {
  const reached = VISITORS.filter((v) => !v.bot).map((v) => {
    const sessions: Hit[][] = [];
    for (const hit of v.hits) {
      const last = sessions.at(-1)?.at(-1);
      if (!last || hit.at - last.at > SESSION_MINUTES * 60) sessions.push([hit]);
      else sessions.at(-1)!.push(hit);
    }
    return Math.max(
      ...sessions.map((hits) => {
        let level = 0;
        let lastAt = Number.NEGATIVE_INFINITY;
        for (const hit of hits) {
          if (level < steps.length && steps[level]!(hit) && hit.at > lastAt) {
            level += 1;
            lastAt = hit.at;
          }
        }
        return level;
      }),
    );
  });
  return steps.map((_s, i) => reached.filter((level) => level > i).length);
}

describe('funnels in the history API', () => {
  let system: TestSystem;
  const start = Date.now() - 4 * 60_000;

  const funnel = async (steps: string[]): Promise<{ status: number; body: Record<string, unknown> }> => {
    const q = new URLSearchParams({ from: String(start - 60_000), to: String(Date.now() + 60_000) });
    for (const step of steps) q.append('step', step);
    const res = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/funnel?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0', SESSION_TIMEOUT_MINUTES: String(SESSION_MINUTES) });
    let sent = 0;
    for (const [i, v] of VISITORS.entries()) {
      for (const hit of v.hits) {
        const body = { site: SITE, url: `https://shop.example${hit.page ?? '/checkout'}`, ts: start + hit.at * 1000, ...(hit.event ? { type: 'event', name: hit.event } : {}) };
        const res = await fetch(`${system.ingestUrl}/api/collect`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': v.bot ? 'curl/8' : `${BROWSER_UA} v/${i}` },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(202);
        sent += 1;
      }
    }
    await waitUntilStored(system, sent, 20_000);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('counts the visitors at each step in order within one session, with drop-off and conversion', async () => {
    const steps = ['page:/', 'page:/pricing', 'event:signup'];
    const { status, body } = await funnel(steps);
    expect(status).toBe(200);
    const expected = expectedVisitors([(h) => h.page === '/', (h) => h.page === '/pricing', (h) => h.event === 'signup']);
    // worth checking: 5 visitors at the first step, fewer at each next
    expect(expected).toEqual([5, 3, 2]);
    const pct = (a: number, b: number): number => Math.round((a / b) * 1000) / 10;
    expect(body['steps']).toEqual(
      steps.map((step, i) => ({
        step,
        visitors: expected[i],
        dropOff: i === 0 ? 0 : expected[i - 1]! - expected[i]!,
        conversionFromPrevious: i === 0 ? 100 : pct(expected[i]!, expected[i - 1]!),
        conversionFromFirst: pct(expected[i]!, expected[0]!),
      })),
    );
  });

  it('matches pages with * wildcards', async () => {
    const { body } = await funnel(['page:/', 'page:/pri*']);
    const expected = expectedVisitors([(h) => h.page === '/', (h) => h.page?.startsWith('/pri') === true]);
    expect((body['steps'] as { visitors: number }[]).map((s) => s.visitors)).toEqual(expected);
  });

  // ClickHouse's windowFunnel in strict_increase mode let a page view matching two steps overwrite
  // the earlier step it matched (ClickHouse issue 52844): '/' then '/pricing' under ['/*', '/pricing'] counted 1 step, not 2
  it.each([
    [['page:/*', 'page:/pricing'], [(h: Hit) => h.page !== undefined, (h: Hit) => h.page === '/pricing']],
    [['page:/*', 'page:/*', 'page:/pri*'], [(h: Hit) => h.page !== undefined, (h: Hit) => h.page !== undefined, (h: Hit) => h.page?.startsWith('/pri') === true]],
  ])('counts a page view matching several steps at the one it reaches first: %j', async (steps, matches) => {
    const { body } = await funnel(steps);
    const expected = expectedVisitors(matches);
    // worth checking: some visitor reaches the last step
    expect(expected.at(-1)).toBeGreaterThan(0);
    expect((body['steps'] as { visitors: number }[]).map((s) => s.visitors)).toEqual(expected);
  });

  it('refuses fewer than two steps or a malformed one, naming step', async () => {
    expect(await funnel(['page:/'])).toMatchObject({ status: 400, body: { field: 'step' } });
    expect(await funnel(['page:/', 'checkout'])).toMatchObject({ status: 400, body: { field: 'step' } });
  });
});
