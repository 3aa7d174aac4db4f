import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { plausibleTrackerModule, umamiTrackerScript } from '../support/their-trackers.js';
import { tally } from '../support/tally.js';
import { BROWSER_UA, eventually, startTestSystem, type TestSystem } from '../support/test-system.js';

const PLAUSIBLE_DOMAIN = 'plausible-site.example';
const UMAMI_WEBSITE = randomUUID();
const PL_SITE = 'pl-site';
const UM_SITE = 'um-site';

/**
 * A customer's site still carrying Plausible's and Umami's own trackers, pointed at our ingest as
 * a migrating site would point them (Plausible's `endpoint`, Umami's `data-host-url`).
 */
async function startTheirSite(ingestUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const plausible = plausibleTrackerModule();
  const umami = umamiTrackerScript();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    if (path === '/vendor/plausible.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(plausible);
    if (path === '/vendor/umami.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(umami);
    if (path.startsWith('/files/')) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('the report');
    if (path.startsWith('/plausible/')) {
      // Playwright sets navigator.webdriver, which Plausible's tracker takes for automation unless __plausible is set
      return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>P ${path}</title>
<script>window.__plausible = true</script>
<script type="module">
import { init, track } from '/vendor/plausible.js';
init({ domain: '${PLAUSIBLE_DOMAIN}', endpoint: '${ingestUrl}/api/event', captureOnLocalhost: true, outboundLinks: true, fileDownloads: true, logging: false });
window.signup = () => track('Signup', { props: { plan: 'pro', source: 'pricing' }, revenue: { amount: '19.90', currency: 'EUR' } });
window.ready = true;
</script></head><body style="height: 3000px">
<button id="signup" onclick="signup()">Sign up</button>
<button id="spa" onclick="history.pushState({}, '', '/plausible/spa-b')">B</button>
<a id="out" href="https://elsewhere.example/page" target="_blank">Elsewhere</a>
<a id="pdf" href="/files/report.pdf" target="_blank">Report</a>
</body></html>`);
    }
    if (path.startsWith('/umami/')) {
      return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head><title>U ${path}</title>
<script defer src="/vendor/umami.js" data-website-id="${UMAMI_WEBSITE}" data-host-url="${ingestUrl}"></script></head><body>
<button id="tagged" data-umami-event="Signup" data-umami-event-plan="basic" data-umami-event-from="hero">Sign up</button>
<button id="spa" onclick="history.pushState({}, '', '/umami/spa-b')">B</button>
<button id="custom" onclick="umami.track('Download', { file: 'guide.pdf', size: 3 })">Download</button>
</body></html>`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface Counted {
  pages: string[];
  events: { name: string; props: Record<string, string> }[];
}

describe("Plausible's and Umami's own trackers, unchanged, counted exactly by our ingest", () => {
  let system: TestSystem;
  let browser: Browser;
  let site: { url: string; close(): Promise<void> };
  const from = Date.now() - 60_000;
  /** Every request the trackers sent to our endpoints, as the browser sent it. */
  const sentBodies: { url: string; body: Record<string, unknown>; status: number }[] = [];

  const admin = (): Record<string, string> => ({ Authorization: `Bearer ${system.admin.token}`, 'Content-Type': 'application/json' });
  const history = async (s: string, route: string, params: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const q = new URLSearchParams({ from: String(from), to: String(Date.now() + 60_000), limit: '100', ...params });
    const res = await fetch(`${system.gatewayUrl}/api/sites/${s}/${route}?${q}`, { headers: admin() });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  const rows = async (s: string, dimension: string): Promise<{ value: string; count: number }[]> =>
    ((await history(s, 'breakdown', { dimension }))['rows'] as { value: string; count: number }[]).map(({ value, count }) => ({ value, count }));

  async function openContext(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    await context.route('https://elsewhere.example/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<p>elsewhere</p>' }));
    // every request to our ingest passes through here, also those a page sends as it is left
    await context.route(`${system.ingestUrl}/**`, async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      const sent = { url: new URL(request.url()).pathname, body: JSON.parse(request.postData() ?? '{}') as Record<string, unknown>, status: 0 };
      sentBodies.push(sent);
      const response = await route.fetch();
      sent.status = response.status();
      await route.fulfill({ response }).catch(() => undefined);
    });
    return { context, page: await context.newPage() };
  }
  const sentTo = (path: string) => sentBodies.filter((b) => b.url === path);
  /** Waits until every request sent so far has its answer, then closes the context. */
  const settleAndClose = async (context: BrowserContext): Promise<void> => {
    await eventually(() => (sentBodies.every((b) => b.status !== 0) ? true : undefined), 10_000, 'the answers to every request sent');
    await context.close();
  };

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    for (const [id, alias] of [[PL_SITE, PLAUSIBLE_DOMAIN], [UM_SITE, UMAMI_WEBSITE]] as const) {
      expect((await fetch(`${system.gatewayUrl}/api/sites`, { method: 'POST', headers: admin(), body: JSON.stringify({ id }) })).status).toBe(201);
      expect((await fetch(`${system.gatewayUrl}/api/sites/${id}/aliases`, { method: 'POST', headers: admin(), body: JSON.stringify({ alias }) })).status).toBe(201);
    }
    browser = await launchChromium();
    site = await startTheirSite(system.ingestUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await system?.stop();
    system?.cleanup();
  });

  it("Plausible's tracker: page views, SPA navigation, a custom event with props and revenue, outbound link and file download clicks, engagement on leaving", async () => {
    const { context, page } = await openContext();
    await page.goto(`${site.url}/plausible/home`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    await page.mouse.wheel(0, 1200);
    await page.click('#signup');
    await page.click('#spa');
    // links opening a new tab: the page stays, so its requests are not cut short by leaving it
    await Promise.all([context.waitForEvent('page'), page.click('#pdf')]);
    await eventually(() => (sentTo('/api/event').some((b) => b.body['n'] === 'File Download') ? true : undefined), 10_000, 'the download click');
    await page.goto(`${site.url}/plausible/second`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    await Promise.all([context.waitForEvent('page'), page.click('#out')]);
    await eventually(() => (sentTo('/api/event').some((b) => b.body['n'] === 'Outbound Link: Click') ? true : undefined), 10_000, 'the outbound click');
    await page.goto('https://elsewhere.example/page');
    await settleAndClose(context);
    const expected = { pageviews: 3, custom: 3 };
    // 3 page views, Signup, File Download and Outbound Link: Click, plus the engagement events the tracker chose to send
    await eventually(() => (sentTo('/api/event').filter((b) => b.body['n'] !== 'engagement').length >= expected.pageviews + expected.custom ? true : undefined), 20_000, 'the Plausible requests');
    expect(sentTo('/api/event').map((b) => b.status)).toEqual(sentTo('/api/event').map(() => 202));
    // leaving a page it had not reported as scrolled sends an engagement event: at least leaving home
    expect(sentTo('/api/event').filter((b) => b.body['n'] === 'engagement').length).toBeGreaterThan(0);
  });

  it("Umami's v2 tracker: page views, pushState navigation, data-umami-event clicks with properties, umami.track()", async () => {
    const { context, page } = await openContext();
    await page.goto(`${site.url}/umami/home`);
    await eventually(() => (sentTo('/api/send').length >= 1 ? true : undefined), 10_000, 'the first Umami page view');
    await page.click('#tagged');
    await page.click('#spa');
    await eventually(() => (sentTo('/api/send').length >= 3 ? true : undefined), 10_000, 'the navigation');
    await page.click('#custom');
    await eventually(() => (sentTo('/api/send').length >= 4 ? true : undefined), 10_000, 'umami.track');
    await settleAndClose(context);
    expect(sentTo('/api/send').map((b) => b.status)).toEqual([200, 200, 200, 200]);
  });

  it('counts in the history API exactly what their trackers sent', async () => {
    const plausible: Counted = { pages: [], events: [] };
    for (const { body } of sentTo('/api/event')) {
      const name = String(body['n']);
      if (name === 'engagement') continue;
      if (name === 'pageview') plausible.pages.push(new URL(String(body['u'])).pathname);
      else plausible.events.push({ name, props: Object.fromEntries(Object.entries((body['p'] as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)])) });
    }
    const umami: Counted = { pages: [], events: [] };
    for (const { body } of sentTo('/api/send')) {
      const payload = body['payload'] as Record<string, unknown>;
      if (typeof payload['name'] === 'string') umami.events.push({ name: payload['name'], props: Object.fromEntries(Object.entries((payload['data'] as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)])) });
      else umami.pages.push(new URL(decodeURI(String(payload['url'])), 'https://x').pathname);
    }
    // what the test did, as the trackers reported it
    expect(plausible.pages).toEqual(['/plausible/home', '/plausible/spa-b', '/plausible/second']);
    expect(plausible.events.map((e) => e.name).sort()).toEqual(['File Download', 'Outbound Link: Click', 'Signup']);
    expect(umami.pages).toEqual(['/umami/home', '/umami/spa-b']);
    expect(umami.events).toEqual([{ name: 'Signup', props: { plan: 'basic', from: 'hero' } }, { name: 'Download', props: { file: 'guide.pdf', size: '3' } }]);

    // engagement events are sent on leaving a page, when the tracker judges it engaged: they are
    // never page views, whatever their number
    const expectedRows = async (): Promise<boolean> => {
      for (const [s, counted] of [[PL_SITE, plausible], [UM_SITE, umami]] as const) {
        if (JSON.stringify(await rows(s, 'page')) !== JSON.stringify(tally(counted.pages))) return false;
        if (JSON.stringify(await rows(s, 'event')) !== JSON.stringify(tally(counted.events.map((e) => e.name)))) return false;
      }
      return true;
    };
    await eventually(async () => ((await expectedRows()) ? true : undefined), 30_000, 'the figures of what was sent').catch(() => undefined);
    await waitForCommittedEnd(system.config.kafka.brokers!.join(','), system.config.kafka.topics.events, system.config.kafka.consumerGroup, 30_000);
    // revenue, summed per currency from the bodies that carried it
    const revenueSent = new Map<string, number>();
    for (const { body } of sentTo('/api/event')) {
      const r = body['$'] as { amount: string; currency: string } | undefined;
      if (r) revenueSent.set(r.currency, (revenueSent.get(r.currency) ?? 0) + Number(r.amount));
    }
    const signup = ((await history(PL_SITE, 'breakdown', { dimension: 'event' }))['rows'] as { value: string; revenue: { currency: string; amount: string }[] }[]).find((r) => r.value === 'Signup');
    expect(signup?.revenue.map((r) => [r.currency, Number(r.amount)])).toEqual([...revenueSent]);
    // engagement: each page the tracker reported leaving has a scroll depth within what it reported, and an engaged time
    const engagement = new Map<string, number[]>();
    for (const { body, status } of sentTo('/api/event')) {
      if (body['n'] !== 'engagement' || status !== 202) continue;
      const path = new URL(String(body['u'])).pathname;
      engagement.set(path, [...(engagement.get(path) ?? []), Number(body['sd'])]);
    }
    const pageRows = (await history(PL_SITE, 'breakdown', { dimension: 'page' }))['rows'] as { value: string; scrollDepth: number | null; timeOnPage: number | null }[];
    expect(engagement.size).toBeGreaterThan(0);
    for (const row of pageRows) {
      const depths = engagement.get(row.value);
      if (!depths) continue;
      expect(row.scrollDepth, row.value).not.toBeNull();
      expect(row.scrollDepth!, row.value).toBeGreaterThanOrEqual(Math.min(...depths) - 0.5);
      expect(row.scrollDepth!, row.value).toBeLessThanOrEqual(Math.max(...depths) + 0.5);
      expect(row.timeOnPage, row.value).not.toBeNull();
    }
    for (const [s, counted] of [[PL_SITE, plausible], [UM_SITE, umami]] as const) {
      expect(await rows(s, 'page')).toEqual(tally(counted.pages));
      expect(await rows(s, 'event')).toEqual(tally(counted.events.map((e) => e.name)));
      for (const { name } of counted.events) {
        const withName = counted.events.filter((e) => e.name === name);
        for (const key of new Set(withName.flatMap((e) => Object.keys(e.props)))) {
          const values = ((await history(s, 'properties', { event: name, key }))['rows'] as { value: string; count: number }[]).map(({ value, count }) => ({ value, count }));
          expect(values).toEqual(tally(withName.flatMap((e) => (e.props[key] !== undefined ? [e.props[key]] : []))));
        }
      }
    }
  });
});
