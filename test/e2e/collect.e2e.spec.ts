import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic, type ReadMessage } from '../support/kafka-reader.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { eventually, postJson, startTestSystem, storedPageviews, type TestSystem } from '../support/test-system.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const GEO_DB = fileURLToPath(new URL('../../node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb', import.meta.url));

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': CHROME, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

describe('the collect API', () => {
  let system: TestSystem;
  let collect: string;
  const page = (path = '/') => `https://shop.example${path}`;

  beforeAll(async () => {
    system = await startTestSystem({
      COLLECT_PATH: '/t/c',
      TRACKER_SCRIPT_PATH: '/t/s.js',
      COLLECT_MAX_EVENTS: '5',
      COLLECT_MAX_BODY_BYTES: '4096',
      COUNTRY_HEADER: 'CF-IPCountry',
      GEOIP_DB_PATH: GEO_DB,
      TRUST_PROXY: 'true',
      CLOCK_SKEW_MS: '60000',
    });
    collect = `${system.ingestUrl}/t/c`;
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it.each([
    ['malformed JSON', '{"site":', 400, { error: 'invalid_json', field: 'body' }],
    ['an empty body', '', 400, { error: 'invalid_body', field: 'body', detail: 'the request body is empty' }],
    ['a JSON string', '"hello"', 400, { error: 'invalid_body', field: 'body', detail: 'expected a JSON object or an array of them' }],
    ['an empty batch', [], 400, { error: 'invalid_body', field: 'body', detail: 'the batch is empty' }],
    ['too many events', Array.from({ length: 6 }, () => ({ site: 'shop', url: page() })), 413, { error: 'too_many_events', field: 'body', detail: 'a batch holds at most 5 events, got 6' }],
    ['a missing site', { url: page() }, 400, { error: 'invalid_event', field: 'site', detail: 'required' }],
    ['a site of the wrong type', { site: 7, url: page() }, 400, { error: 'invalid_event', field: 'site', detail: 'expected a string' }],
    ['an unknown site', { site: 'nobody', url: page() }, 400, { error: 'unknown_site', field: 'site', detail: 'unknown site' }],
    ['a relative url', { site: 'shop', url: '/x' }, 400, { error: 'invalid_event', field: 'url', detail: 'expected an absolute http(s) URL' }],
    ['an unknown field', { site: 'shop', url: page(), colour: 'red' }, 400, { error: 'invalid_event', field: 'colour', detail: 'unknown field' }],
    ['a custom event without a name', { type: 'event', site: 'shop', url: page() }, 400, { error: 'invalid_event', field: 'name', detail: 'required' }],
    ['nested properties', { type: 'event', site: 'shop', url: page(), name: 'x', props: { a: { b: 1 } } }, 400, { error: 'invalid_event', field: 'props.a' }],
    ['a prototype-polluting key', '{"site":"shop","url":"https://shop.example/","__proto__":{"x":1}}', 400, { error: 'invalid_event', field: '__proto__' }],
  ])('refuses %s, naming the problem', async (_what, body, status, expected) => {
    const res = await post(collect, body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(expected);
    expect(typeof res.body['detail']).toBe('string');
  });

  it('refuses an oversize body with 413 before reading it whole', async () => {
    const res = await post(collect, JSON.stringify({ site: 'shop', url: page(`/${'a'.repeat(5000)}`) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: 'body_too_large', field: 'body' });
  });

  it('refuses a body that is neither JSON nor text with 415', async () => {
    const res = await post(collect, 'a=b', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ error: 'unsupported_media_type' });
  });

  it('accepts the valid events of a batch, reports the invalid ones by index, and dead-letters them with the reason', async () => {
    const batch = [
      { site: 'shop', url: page('/a'), id: 'batch-ok-1' },
      { site: 'shop', url: 'not a url', id: 'batch-bad-1' },
      { type: 'event', site: 'shop', url: page('/a'), name: 'signup', props: { plan: 'pro', seats: 3 }, id: 'batch-ok-2' },
      { site: 'nobody', url: page('/a') },
    ];
    const res = await post(collect, batch, { 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 2,
      rejected: [
        { index: 1, error: 'invalid_event', field: 'url', detail: 'expected an absolute http(s) URL' },
        { index: 3, error: 'unknown_site', field: 'site', detail: 'unknown site' },
      ],
    });
    const ids = res.body['ids'] as string[];
    const { topics } = system.config.kafka;
    const brokers = system.config.kafka.brokers!;
    const ours = (m: ReadMessage) => ids.includes(String(m.value['id']));
    const events = await readTopic(brokers, topics.events, (ms) => ms.filter(ours).length >= 2);
    expect(events.filter(ours)).toHaveLength(2); // exactly once each
    const signup = events.find((m) => m.value['id'] === ids[1])!;
    expect(signup.value).toMatchObject({ type: 'event', name: 'signup', props: { plan: 'pro', seats: '3' }, clientEventId: 'batch-ok-2' });

    const letters = await readTopic(brokers, topics.deadLetter, (ms) => ms.filter((m) => m.value['index'] !== null).length >= 2);
    const batchLetters = letters.filter((m) => m.value['index'] === 1 || m.value['index'] === 3).map((m) => m.value);
    expect(batchLetters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'ingest', reason: 'invalid_event', field: 'url', index: 1, payload: expect.stringContaining('not a url') }),
        expect.objectContaining({ source: 'ingest', reason: 'unknown_site', field: 'site', index: 3, receivedAt: expect.any(Number) }),
      ]),
    );
  });

  it('answers 400 with every rejection when no event of a batch is valid', async () => {
    const res = await post(collect, [{ site: 'shop' }, { url: page() }]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_events', accepted: 0, rejected: [{ index: 0, field: 'url' }, { index: 1, field: 'site' }] });
  });

  it('enriches events on the server: browser, OS, device, bots, country, UTM, visitor id, and never stores the IP', async () => {
    const desktop = await post(collect, { site: 'shop', url: page('/landing?utm_source=news&utm_medium=email&utm_campaign=fall'), referrer: 'https://www.google.com/' }, { 'X-Forwarded-For': '203.0.113.9', 'CF-IPCountry': 'de' });
    const again = await post(collect, { site: 'shop', url: page('/second') }, { 'X-Forwarded-For': '203.0.113.9', 'CF-IPCountry': 'de' });
    const phone = await post(collect, { site: 'shop', url: page('/') }, { 'User-Agent': IPHONE, 'X-Forwarded-For': '8.8.8.8' });
    const bot = await post(collect, { site: 'shop', url: page('/') }, { 'User-Agent': GOOGLEBOT, 'X-Forwarded-For': '203.0.113.10' });
    for (const r of [desktop, again, phone, bot]) expect(r.status).toBe(202);
    const id = (r: typeof desktop) => (r.body['ids'] as string[])[0];
    const wanted = new Set([desktop, again, phone, bot].map(id));
    const messages = await readTopic(system.config.kafka.brokers!, system.config.kafka.topics.events, (ms) => ms.filter((m) => wanted.has(String(m.value['id']))).length === 4);
    const byId = new Map(messages.map((m) => [m.value['id'], m]));
    const d = byId.get(id(desktop))!;
    expect(d.value).toMatchObject({ browser: 'Chrome', os: 'Linux', device: 'desktop', isBot: false, country: 'DE', referrerDomain: 'google.com', utm: { source: 'news', medium: 'email', campaign: 'fall' } });
    expect(byId.get(id(phone))!.value).toMatchObject({ browser: 'Mobile Safari', os: 'iOS', device: 'mobile', isBot: false, country: 'US' });
    expect(byId.get(id(bot))!.value).toMatchObject({ isBot: true });
    // same IP and browser on the same day: same visitor, and their events share a partition key
    expect(byId.get(id(again))!.value['visitorId']).toBe(d.value['visitorId']);
    expect(byId.get(id(phone))!.value['visitorId']).not.toBe(d.value['visitorId']);
    expect(d.key).toBe(`shop:${String(d.value['visitorId'])}`);
    expect(byId.get(id(again))!.partition).toBe(d.partition);
    for (const m of messages) expect(JSON.stringify(m.value)).not.toMatch(/203\.0\.113|8\.8\.8\.8/);
    expect(String(d.value['visitorId'])).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps the client time within the allowed skew and clamps and flags it beyond', async () => {
    const now = Date.now();
    const near = await post(collect, { site: 'shop', url: page('/t'), ts: now - 5_000 });
    const far = await post(collect, { site: 'shop', url: page('/t'), ts: now - 3_600_000 });
    const ids = new Set([near, far].map((r) => (r.body['ids'] as string[])[0]));
    const messages = (await readTopic(system.config.kafka.brokers!, system.config.kafka.topics.events, (ms) => ms.filter((m) => ids.has(String(m.value['id']))).length === 2)).filter((m) =>
      ids.has(String(m.value['id'])),
    );
    const nearEvent = messages.find((m) => m.value['clientTime'] === now - 5_000)!.value;
    const farEvent = messages.find((m) => m.value['clientTime'] === now - 3_600_000)!.value;
    expect(nearEvent).toMatchObject({ eventTime: now - 5_000, timeFlagged: false });
    expect(farEvent['timeFlagged']).toBe(true);
    expect(Number(farEvent['receivedAt']) - Number(farEvent['eventTime'])).toBe(60_000);
  });

  it('counts an event the tracker retried with the same client id once', async () => {
    const event = { site: 'gamma', url: page('/retried'), id: 'retry-me-123' };
    const first = await post(collect, event);
    const second = await post(collect, event);
    expect(first.body['ids']).toEqual(second.body['ids']);
    // a later event of the same visitor lands behind both copies in the same partition
    const marker = await post(collect, { site: 'gamma', url: page('/after'), id: 'marker-after-1' });
    expect([first.status, second.status, marker.status]).toEqual([202, 202, 202]);
    const count = () => storedPageviews(system, 'gamma');
    await eventually(async () => ((await count()) >= 2 ? true : undefined), 20_000, 'both gamma events stored');
    // everything in the log read, stored and committed: a duplicate would be counted by now
    const { kafka } = system.config;
    await waitForCommittedEnd(kafka.brokers!.join(','), kafka.topics.events, kafka.consumerGroup, 30_000);
    expect(await count()).toBe(2);
  });

  it('serves a no-JavaScript pixel that records a page view with the Referer as url', async () => {
    const res = await fetch(`${system.ingestUrl}/t/c/pixel.gif?site=shop`, { headers: { Referer: page('/no-js'), 'User-Agent': CHROME } });
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect((await res.arrayBuffer()).byteLength).toBe(42);
    const bad = await fetch(`${system.ingestUrl}/t/c/pixel.gif?site=nobody&url=${encodeURIComponent(page())}`);
    expect(bad.status).toBe(400);
  });

  it('serves the tracker at the configured path with the configured collect path inside', async () => {
    const res = await fetch(`${system.ingestUrl}/t/s.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    const script = await res.text();
    expect(script).toContain('"/t/c"');
    expect(script).not.toContain('__CLICKSTREAM_COLLECT_PATH__');
  });

  it('allows the tracker from any origin without credentials', async () => {
    const res = await fetch(collect, { method: 'OPTIONS', headers: { Origin: 'https://customer.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('reports health and Prometheus metrics with accepted, rejected-by-reason and latency series', async () => {
    const health = await fetch(`${system.ingestUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', kafka: 'up', state: 'ready' });
    const metrics = await (await fetch(`${system.ingestUrl}/metrics`)).text();
    expect(metrics).toMatch(/clickstream_ingest_events_accepted_total\{type="pageview"\} [1-9]/);
    expect(metrics).toMatch(/clickstream_ingest_events_rejected_total\{reason="unknown_site"\} [1-9]/);
    expect(metrics).toMatch(/clickstream_ingest_bot_events_total [1-9]/);
    expect(metrics).toMatch(/clickstream_ingest_produce_latency_seconds_count [1-9]/);
    expect(metrics).toMatch(/clickstream_ingest_request_events_bucket/);
    expect(metrics).toMatch(/clickstream_ingest_requests_in_flight 0/);
  });
});

describe('the per-IP rate limit', () => {
  let system: TestSystem;

  beforeAll(async () => {
    // one token per 1000 s: however slow the machine, none comes back while the test runs
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0.001', RATE_LIMIT_BURST: '3' });
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('answers 429 with Retry-After once a client has used its burst', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof postJson>> | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await postJson(`${system.ingestUrl}/api/collect`, { site: 'shop', url: 'https://shop.example/' });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    expect(limited!.body).toMatchObject({ error: 'rate_limited' });
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
