import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteAliasKey, siteAliasRecord, parseSiteAlias } from '@clickstream/platform';
import { readTopic } from '../support/kafka-reader.js';
import { waitUntilStored } from '../support/stored-events.js';
import { tally } from '../support/tally.js';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

// sites named as their trackers name them: a domain and a UUID are valid site ids; `blog` is
// reached through aliases (a Plausible domain and an Umami website id)
const DOMAIN_SITE = 'shop.example';
const UUID_SITE = randomUUID();
const ALIASED_SITE = 'blog';
const BLOG_DOMAIN = 'blog.example';
const BLOG_WEBSITE = randomUUID();

interface Sent {
  site: string;
  path: string;
  event?: string;
  props?: Record<string, string>;
  /** A page view's properties. */
  pageProps?: Record<string, string>;
  tag?: string;
}

describe('drop-in endpoints for Plausible and Umami trackers', () => {
  let system: TestSystem;
  const from = Date.now() - 60_000;
  /** Every event the test expects stored, in our terms, added as each request is answered. */
  const sent: Sent[] = [];
  /** Bodies the test expects refused, each with the reason its dead letter must carry. */
  const refused: { marker: string; reason: string }[] = [];

  const post = async (path: string, body: string, contentType: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> => {
    const res = await fetch(`${system.ingestUrl}${path}`, { method: 'POST', headers: { 'Content-Type': contentType, 'User-Agent': BROWSER_UA, ...headers }, body });
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const plausible = (body: Record<string, unknown>) => post('/api/event', JSON.stringify(body), 'text/plain');
  const umami = (body: Record<string, unknown>, headers: Record<string, string> = {}) => post('/api/send', JSON.stringify(body), 'application/json', headers);
  const history = async (site: string, route: string, params: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const q = new URLSearchParams({ from: String(from), to: String(Date.now() + 60_000), ...params });
    const res = await fetch(`${system.gatewayUrl}/api/sites/${encodeURIComponent(site)}/${route}?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0', BOOTSTRAP_SITES: `demo,${DOMAIN_SITE},${UUID_SITE},${ALIASED_SITE}` });
    // the aliases as the sites admin API writes them
    const kafka = new Kafka({ clientId: 'test-aliases', brokers: system.config.kafka.brokers!, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: system.config.kafka.topics.sites,
      acks: -1,
      messages: [BLOG_DOMAIN, BLOG_WEBSITE].map((a) => ({ key: siteAliasKey(parseSiteAlias(a)!), value: siteAliasRecord(ALIASED_SITE) })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it("takes Plausible's events as its server does: 202 ok once stored, short and long keys, props as an object or as JSON text, several domains", async () => {
    const pageview = await plausible({ n: 'pageview', u: `https://${DOMAIN_SITE}/pricing?utm_source=news`, d: DOMAIN_SITE, r: 'https://news.example/item', v: 24 });
    expect([pageview.status, pageview.text, pageview.headers.get('x-plausible-dropped')]).toEqual([202, 'ok', null]);
    sent.push({ site: DOMAIN_SITE, path: '/pricing' });

    const custom = await plausible({ n: 'Signup', u: `https://${DOMAIN_SITE}/pricing`, d: DOMAIN_SITE, r: null, p: { plan: 'pro', seats: 3, yearly: true } });
    expect([custom.status, custom.text]).toEqual([202, 'ok']);
    sent.push({ site: DOMAIN_SITE, path: '/pricing', event: 'Signup', props: { plan: 'pro', seats: '3', yearly: 'true' } });

    // a page view with properties (Plausible's custom properties), which a prop filter selects
    const withProps = await plausible({ n: 'pageview', u: `https://${DOMAIN_SITE}/guide`, d: DOMAIN_SITE, p: { author: 'ann' } });
    expect(withProps.status).toBe(202);
    sent.push({ site: DOMAIN_SITE, path: '/guide', pageProps: { author: 'ann' } });

    // hash routing: the page is the path with its fragment, as Plausible's hash mode counts it
    const hashed = await plausible({ n: 'pageview', u: `https://${DOMAIN_SITE}/#/faq`, d: DOMAIN_SITE, h: 1 });
    expect(hashed.status).toBe(202);
    sent.push({ site: DOMAIN_SITE, path: '/#/faq' });

    const longKeys = await plausible({ name: 'Signup', url: `https://${DOMAIN_SITE}/`, domain: DOMAIN_SITE, props: JSON.stringify({ plan: 'basic' }) });
    expect(longKeys.status).toBe(202);
    sent.push({ site: DOMAIN_SITE, path: '/', event: 'Signup', props: { plan: 'basic' } });

    // one event for two sites: the site by its own id and the one its alias names
    const both = await plausible({ n: 'pageview', u: `https://${BLOG_DOMAIN}/post/1`, d: `${DOMAIN_SITE}, ${BLOG_DOMAIN}` });
    expect([both.status, both.headers.get('x-plausible-dropped')]).toEqual([202, null]);
    sent.push({ site: DOMAIN_SITE, path: '/post/1' }, { site: ALIASED_SITE, path: '/post/1' });
  });

  it('drops an unknown domain as Plausible does (202 ok with x-plausible-dropped), with a reason and a dead letter, and keeps the known one', async () => {
    const marker = `https://${DOMAIN_SITE}/unknown-${randomUUID()}`;
    const res = await plausible({ n: 'pageview', u: marker, d: `nowhere.example,${DOMAIN_SITE}` });
    expect([res.status, res.text, res.headers.get('x-plausible-dropped')]).toEqual([202, 'ok', '1']);
    expect(res.headers.get('x-clickstream-dropped')).toBe('unknown_site: nowhere.example');
    sent.push({ site: DOMAIN_SITE, path: new URL(marker).pathname });
    refused.push({ marker, reason: 'unknown_site' });
  });

  it('refuses an invalid Plausible event with 400 { errors } naming the field, and dead-letters it', async () => {
    const noName = `https://${DOMAIN_SITE}/no-name-${randomUUID()}`;
    const missing = await plausible({ u: noName, d: DOMAIN_SITE });
    expect([missing.status, JSON.parse(missing.text)]).toEqual([400, { errors: { name: ['required'] } }]);
    refused.push({ marker: noName, reason: 'invalid_event' });

    const badUrl = `not a url ${randomUUID()}`;
    const res = await plausible({ n: 'pageview', u: badUrl, d: DOMAIN_SITE });
    expect(res.status).toBe(400);
    expect(Object.keys((JSON.parse(res.text) as { errors: Record<string, string[]> }).errors)).toEqual(['url']);
    expect(res.headers.get('x-plausible-dropped')).toBe('1');
    refused.push({ marker: badUrl, reason: 'invalid_event' });
  });

  it("takes Umami's v2 and v3 bodies: 200 { cache, sessionId, visitId }, the cache sent back, nested data flattened into properties", async () => {
    const v2 = await umami({
      type: 'event',
      payload: { website: UUID_SITE, hostname: 'app.example', screen: '1920x1080', language: 'en-US', title: encodeURIComponent('Café & co'), url: encodeURI('/menu?x=1'), referrer: '' },
    });
    expect(v2.status).toBe(200);
    const answer = JSON.parse(v2.text) as { cache: string; sessionId: string; visitId: string };
    expect(Object.keys(answer).sort()).toEqual(['cache', 'sessionId', 'visitId']);
    expect(answer.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    sent.push({ site: UUID_SITE, path: '/menu' });

    const v3 = await umami(
      { type: 'event', payload: { website: UUID_SITE, hostname: 'app.example', url: 'https://app.example/cart', name: 'checkout', tag: 'beta', data: { total: 42, cart: { items: 3 }, tags: ['a', 'b'] } } },
      { 'x-umami-cache': answer.cache },
    );
    expect(v3.status).toBe(200);
    sent.push({ site: UUID_SITE, path: '/cart', event: 'checkout', props: { total: '42', 'cart.items': '3', tags: '["a","b"]' }, tag: 'beta' });

    // an alias: the website id maps to `blog`
    const aliased = await umami({ type: 'event', payload: { website: BLOG_WEBSITE, hostname: BLOG_DOMAIN, url: '/post/2' } });
    expect(aliased.status).toBe(200);
    sent.push({ site: ALIASED_SITE, path: '/post/2' });

    const identify = await umami({ type: 'identify', payload: { website: UUID_SITE, id: 'user-17', data: { email: 'someone@example.com' } } });
    expect([identify.status, Object.keys(JSON.parse(identify.text) as object)]).toEqual([200, ['cache']]);
  });

  it("answers a bot as Umami does ({ beep: 'boop' }) and stores it flagged, out of every figure", async () => {
    const res = await post('/api/send', JSON.stringify({ type: 'event', payload: { website: UUID_SITE, hostname: 'app.example', url: '/menu' } }), 'application/json', { 'User-Agent': 'curl/8.5' });
    expect([res.status, JSON.parse(res.text)]).toEqual([200, { beep: 'boop' }]);
  });

  it('refuses an unknown website id ("Website not found.") and an invalid Umami body with 400 naming the field, each dead-lettered', async () => {
    const unknownWebsite = randomUUID();
    const res = await umami({ type: 'event', payload: { website: unknownWebsite, hostname: 'x.example', url: '/' } });
    expect([res.status, JSON.parse(res.text)]).toEqual([400, { error: { code: 'unknown_site', message: 'Website not found.', field: 'payload.website' } }]);
    refused.push({ marker: unknownWebsite, reason: 'unknown_site' });

    const badScreen = `/bad-screen-${randomUUID()}`;
    const invalid = await umami({ type: 'event', payload: { website: UUID_SITE, hostname: 'app.example', url: badScreen, screen: 'huge' } });
    expect(invalid.status).toBe(400);
    expect((JSON.parse(invalid.text) as { error: { field: string } }).error.field).toBe('payload.screen');
    refused.push({ marker: badScreen, reason: 'invalid_event' });

    const noType = await umami({ payload: { website: UUID_SITE } });
    expect([noType.status, (JSON.parse(noType.text) as { error: { field: string } }).error.field]).toEqual([400, 'type']);
  });

  it("lets a browser's preflight through for Umami's JSON body and its x-umami-cache header", async () => {
    const res = await fetch(`${system.ingestUrl}/api/send`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-umami-cache' },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect((res.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('x-umami-cache');
  });

  it('counts exactly what was accepted, per site, page and event, with the properties as sent', async () => {
    // one bot event is stored too (flagged), and nothing refused
    await waitUntilStored(system, sent.length + 1, 30_000);
    for (const site of [DOMAIN_SITE, UUID_SITE, ALIASED_SITE]) {
      const mine = sent.filter((s) => s.site === site);
      const pages = (await history(site, 'breakdown', { dimension: 'page', limit: '100' }))['rows'] as { value: string; count: number }[];
      expect(pages.map(({ value, count }) => ({ value, count }))).toEqual(tally(mine.filter((s) => !s.event).map((s) => s.path)));
      const events = (await history(site, 'breakdown', { dimension: 'event', limit: '100' }))['rows'] as { value: string; count: number }[];
      expect(events.map(({ value, count }) => ({ value, count }))).toEqual(tally(mine.filter((s) => s.event).map((s) => s.event!)));
    }
    for (const { site, name } of [{ site: DOMAIN_SITE, name: 'Signup' }, { site: UUID_SITE, name: 'checkout' }]) {
      const withProps = sent.filter((s) => s.site === site && s.event === name);
      for (const key of new Set(withProps.flatMap((s) => Object.keys(s.props ?? {})))) {
        const rows = (await history(site, 'properties', { event: name, key }))['rows'] as { value: string; count: number }[];
        expect(rows.map(({ value, count }) => ({ value, count }))).toEqual(tally(withProps.flatMap((s) => (s.props?.[key] !== undefined ? [s.props[key]] : []))));
      }
    }
  });

  it("filters page views by their properties: the pages of Plausible's page views carrying author=ann", async () => {
    const pages = (await history(DOMAIN_SITE, 'breakdown', { dimension: 'page', filter: 'prop.author==ann' }))['rows'] as { value: string; count: number }[];
    expect(pages.map(({ value, count }) => ({ value, count }))).toEqual(tally(sent.filter((s) => s.site === DOMAIN_SITE && s.pageProps?.['author'] === 'ann').map((s) => s.path)));
  });

  it("filters by Umami's tag", async () => {
    const events = (await history(UUID_SITE, 'breakdown', { dimension: 'event', filter: 'tag==beta' }))['rows'] as { value: string; count: number }[];
    expect(events.map(({ value, count }) => ({ value, count }))).toEqual(tally(sent.filter((s) => s.site === UUID_SITE && s.tag === 'beta' && s.event).map((s) => s.event!)));
  });

  it('wrote a dead letter with its reason for every refused body', async () => {
    const letters = await readTopic(system.config.kafka.brokers!, system.config.kafka.topics.deadLetter, (ms) => refused.every((r) => ms.some((m) => (m.text ?? '').includes(r.marker))));
    for (const r of refused) {
      const letter = letters.find((m) => (m.text ?? '').includes(r.marker));
      expect(letter?.value['reason']).toBe(r.reason);
    }
  });
});
