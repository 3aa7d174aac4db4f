import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { startCompatSite, type CompatSite } from '../support/compat-site.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { BROWSER_UA, eventually, startTestSystem, type TestSystem } from '../support/test-system.js';

type Body = Record<string, unknown>;

/**
 * "DNS switch": a site keeps its Plausible or Umami snippet, and the host name it loads the script
 * from now points at our ingest. Ingest serves our own compat tracker there, which must send what
 * their trackers send, to our drop-in endpoints, and everything must be counted exactly once.
 */

const PLAUSIBLE_DOMAIN = 'example.test';
const UMAMI_WEBSITE = randomUUID();
const PLAUSIBLE_FILE = 'script.outbound-links.file-downloads.tagged-events.js';

// the tests whose requests the test answers itself name sites ingest does not know: a request
// that leaves once its context is closed (an engagement on page hide) reaches no counted site
const OFF_DOMAIN = 'intercepted.test';
const OFF_WEBSITE = randomUUID();

const plausibleTag = (ingest: string, file = PLAUSIBLE_FILE, attrs = '', domain = OFF_DOMAIN) => `<script defer data-domain="${domain}"${attrs} src="${ingest}/js/${file}"></script>`;
const umamiTag = (ingest: string, attrs = '', website = OFF_WEBSITE) => `<script defer data-website-id="${website}"${attrs} src="${ingest}/script.js"></script>`;

describe('the DNS switch: Plausible and Umami snippets unchanged, our tracker served at their paths', () => {
  let system: TestSystem;
  let site: CompatSite;
  let browser: Browser;
  const admin = () => ({ Authorization: `Bearer ${system.admin.token}`, 'Content-Type': 'application/json' });

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    // the sites named as their trackers name them, through the sites admin API: no alias needed
    for (const id of [PLAUSIBLE_DOMAIN, UMAMI_WEBSITE]) {
      const res = await fetch(`${system.gatewayUrl}/api/sites`, { method: 'POST', headers: admin(), body: JSON.stringify({ id, name: id }) });
      expect(res.status).toBe(201);
      // Umami's identify resolves the site and stores nothing: ingest knows the site once it answers 200
      await eventually(
        async () => {
          const probe = await fetch(`${system.ingestUrl}/api/send`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'User-Agent': BROWSER_UA },
            body: JSON.stringify({ type: 'identify', payload: { website: id } }),
          });
          return probe.status === 200 ? true : undefined;
        },
        30_000,
        `ingest knows ${id}`,
      );
    }
    site = await startCompatSite();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await system?.stop();
    system?.cleanup();
  });

  /** A page whose posts to the drop-in endpoints are answered by the test (answer), their bodies and headers kept. */
  async function intercepted(context: BrowserContext, answer: (path: string, n: number) => { status: number; body: string }): Promise<{ sent: { path: string; body: Body; request: Request }[] }> {
    const sent: { path: string; body: Body; request: Request }[] = [];
    await context.route(`${system.ingestUrl}/api/**`, async (route) => {
      const request = route.request();
      const path = new URL(request.url()).pathname;
      sent.push({ path, body: JSON.parse(request.postData() ?? 'null') as Body, request });
      const { status, body } = answer(path, sent.length);
      await route.fulfill({ status, body, headers: { 'Access-Control-Allow-Origin': '*', 'Content-Type': path === '/api/send' ? 'application/json' : 'text/plain' } });
    });
    return { sent };
  }

  const waitFor = <T>(list: T[], n: number, what: string) => eventually(() => (list.length >= n ? true : undefined), 15_000, `${n} ${what}`);

  describe('request bodies, the endpoints answered by the test', () => {
    it("Plausible's snippet: page views, SPA navigation, engagement, outbound link, file download, tagged events, the queue and plausible()", async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      const { sent } = await intercepted(context, () => ({ status: 202, body: 'ok' }));
      const page = await context.newPage();
      const first = site.page('/shop/a', plausibleTag(system.ingestUrl));
      await page.goto(first);
      const base = { d: OFF_DOMAIN, r: null };
      const expected: Body[] = [
        { n: 'pageview', u: first, ...base },
        // called before the script loaded: kept in plausible.q, sent once it ran
        { n: 'Early', u: first, ...base, p: { n: 1 } },
      ];
      await waitFor(sent, 2, 'requests on load');
      for (const [id, body] of [
        ['#out', { n: 'Outbound Link: Click', p: { url: `${site.otherHostUrl}/elsewhere` } }],
        ['#file', { n: 'File Download', p: { url: `${site.url}/files/report.pdf` } }],
        ['#tagged', { n: 'Sign Up', p: { plan: 'pro' } }],
        ['#tagged-link-text', { n: 'Docs', p: { url: `${site.url}/docs` } }],
        ['#buy', { n: 'Purchase', p: { plan: 'pro', seats: 3 } }],
      ] as const) {
        await page.click(id);
        expected.push({ u: first, ...base, ...body });
        await waitFor(sent, expected.length, `requests after ${id}`);
      }
      // neither a file of a tracked type nor outbound, and the same path again: nothing sent
      await page.click('#not-a-file');
      await page.click('#replace');
      await page.mouse.wheel(0, 1200);
      await page.click('#push');
      await waitFor(sent, expected.length + 2, 'engagement and page view of the SPA navigation');

      expect(sent.map((s) => s.path)).toEqual(Array(sent.length).fill('/api/event'));
      expect(sent.every((s) => s.request.headers()['content-type'] === 'text/plain')).toBe(true);
      expect(sent.slice(0, expected.length).map((s) => s.body)).toEqual(expected);
      const [engagement, next] = sent.slice(expected.length).map((s) => s.body);
      // the page left by the navigation: its page view's URL, how deep it was scrolled, how long seen
      expect(engagement).toMatchObject({ n: 'engagement', u: first, d: OFF_DOMAIN });
      expect(engagement!['sd']).toBeGreaterThan(0);
      expect(engagement!['sd']).toBeLessThanOrEqual(100);
      expect(engagement!['e']).toBeGreaterThanOrEqual(0);
      expect(next).toEqual({ n: 'pageview', u: `${site.url}/app/b`, ...base });
      await context.close();
    });

    it("Plausible's hash, revenue, pageview-props and manual variants, read from the script's file name", async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      const { sent } = await intercepted(context, () => ({ status: 202, body: 'ok' }));
      const page = await context.newPage();
      const first = site.page('/hash', plausibleTag(system.ingestUrl, 'script.hash.revenue.pageview-props.js', ' event-author="Ann Lee"'));
      await page.goto(first);
      await waitFor(sent, 2, 'requests on load');
      await page.click('#buy');
      await waitFor(sent, 3, 'the purchase');
      // tagged events are off in this variant: a tagged button is no event
      await page.click('#tagged');
      await page.click('#hash');
      await waitFor(sent, 5, 'engagement and page view of the hash change');
      const base = { d: OFF_DOMAIN, r: null, h: 1 };
      expect(sent.map((s) => s.body)).toEqual([
        { n: 'pageview', u: first, ...base, p: { author: 'Ann Lee' } },
        { n: 'Early', u: first, ...base, p: { n: 1, author: 'Ann Lee' } },
        { n: 'Purchase', u: first, ...base, p: { plan: 'pro', seats: 3, author: 'Ann Lee' }, $: { amount: 29.5, currency: 'EUR' } },
        { n: 'engagement', u: first, d: OFF_DOMAIN, h: 1, p: { author: 'Ann Lee' }, sd: expect.any(Number), e: expect.any(Number) },
        { n: 'pageview', u: `${first}#two`, ...base, p: { author: 'Ann Lee' } },
      ]);
      await context.close();

      // manual: no page view of its own; plausible('pageview', { u }) names the page
      const manual = await browser.newContext({ userAgent: BROWSER_UA });
      const manualSent = (await intercepted(manual, () => ({ status: 202, body: 'ok' }))).sent;
      const manualPage = await manual.newPage();
      const url = site.page('/manual', plausibleTag(system.ingestUrl, 'script.manual.js'));
      await manualPage.goto(url);
      await waitFor(manualSent, 1, 'the queued event');
      await manualPage.evaluate(() => (window as unknown as { plausible: (n: string, o: unknown) => void }).plausible('pageview', { u: 'https://example.test/custom-path' }));
      await waitFor(manualSent, 2, 'the manual page view');
      expect(manualSent.map((s) => s.body)).toEqual([
        { n: 'Early', u: url, d: OFF_DOMAIN, r: null, p: { n: 1 } },
        { n: 'pageview', u: 'https://example.test/custom-path', d: OFF_DOMAIN, r: null },
      ]);
      await manual.close();
    });

    it("Plausible's exclusions variant skips an excluded page's view but not its events; plausible()'s callback gets the answer's status", async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      const { sent } = await intercepted(context, () => ({ status: 202, body: 'ok' }));
      const page = await context.newPage();
      const url = site.page('/private/area', plausibleTag(system.ingestUrl, 'script.exclusions.js', ' data-exclude="/private/**, /other"'));
      await page.goto(url);
      await waitFor(sent, 1, 'the queued event');
      const status = await page.evaluate(
        () => new Promise((resolve) => (window as unknown as { plausible: (n: string, o: unknown) => void }).plausible('Asked', { interactive: false, callback: resolve })),
      );
      expect(status).toEqual({ status: 202 });
      // the first request is the queued event: the page view of the excluded page was never sent
      expect(sent.map((s) => s.body)).toEqual([
        { n: 'Early', u: url, d: OFF_DOMAIN, r: null, p: { n: 1 } },
        { n: 'Asked', u: url, d: OFF_DOMAIN, r: null, i: false },
      ]);
      await context.close();
    });

    it("Umami's data-auto-track=false, data-exclude-search and data-exclude-hash: no page view of its own, URLs without query or hash", async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      const { sent } = await intercepted(context, () => ({ status: 200, body: '{"cache":"c"}' }));
      const page = await context.newPage();
      const url = site.page('/u/manual', umamiTag(system.ingestUrl, ' data-auto-track="false" data-exclude-search="true" data-exclude-hash="true"'));
      await page.goto(`${url}#section`);
      await page.evaluate(() => (window as unknown as { umami: { track: (f: (p: Record<string, unknown>) => unknown) => Promise<void> } }).umami.track((p) => ({ ...p, name: 'Manual' })));
      await waitFor(sent, 1, 'the manual event');
      // auto-track off: no data-umami-event click is watched either
      await page.click('#umami-signup');
      await page.evaluate(() => (window as unknown as { umami: { identify: (d: unknown) => Promise<void> } }).umami.identify({ plan: 'pro' }));
      await waitFor(sent, 2, 'the identify');
      expect(sent.map((s) => s.body)).toEqual([
        { type: 'event', payload: expect.objectContaining({ website: OFF_WEBSITE, url: `${site.url}/u/manual`, name: 'Manual' }) },
        { type: 'identify', payload: expect.objectContaining({ website: OFF_WEBSITE, url: `${site.url}/u/manual`, data: { plan: 'pro' } }) },
      ]);
      await context.close();
    });

    it("Umami's snippet at /script.js: page views, SPA navigation, data-umami-event clicks, umami.track, the x-umami-cache round trip, and a stop on disabled", async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      let disable = false;
      const { sent } = await intercepted(context, (_, n) => ({ status: 200, body: JSON.stringify(disable ? { disabled: true } : { cache: `cache-${n}` }) }));
      const page = await context.newPage();
      const first = site.page('/u/a', umamiTag(system.ingestUrl, ' data-tag="spring"'));
      await page.goto(first);
      await waitFor(sent, 1, 'the page view');
      await page.click('#umami-signup');
      await waitFor(sent, 2, 'the tagged button');
      await page.click('#umami-docs-text');
      await waitFor(sent, 3, 'the tagged link');
      await page.click('#umami-track');
      await waitFor(sent, 4, 'umami.track');
      await page.click('#push');
      await waitFor(sent, 5, 'the SPA page view');
      // a Plausible-tagged element and a replaced state of the same URL mean nothing to Umami
      await page.click('#tagged');

      const base = { website: OFF_WEBSITE, hostname: '127.0.0.1', screen: expect.stringMatching(/^\d+x\d+$/), language: expect.any(String), title: 'Page /u/a', tag: 'spring', referrer: '' };
      expect(sent.map((s) => s.path)).toEqual(Array(sent.length).fill('/api/send'));
      expect(sent.map((s) => s.body)).toEqual([
        { type: 'event', payload: { ...base, url: first } },
        { type: 'event', payload: { ...base, url: first, name: 'Signup', data: { plan: 'pro', seats: '3' } } },
        { type: 'event', payload: { ...base, url: first, name: 'Docs click', data: {} } },
        { type: 'event', payload: { ...base, url: first, name: 'Checkout', data: { total: 42, currency: 'EUR' } } },
        { type: 'event', payload: { ...base, title: 'Page /u/a', url: `${site.url}/app/b`, referrer: first } },
      ]);
      // each request after the first carries the cache of the answer before it
      const caches = sent.map((s) => s.request.headers()['x-umami-cache']);
      expect(caches[0]).toBeUndefined();
      for (const c of caches.slice(1)) expect(c).toMatch(/^cache-\d$/);

      // the server says disabled: nothing more is sent from this page
      disable = true;
      await page.evaluate(() => (window as unknown as { umami: { track: (n: string) => Promise<void> } }).umami.track('Stop'));
      await waitFor(sent, 6, 'the request answered disabled');
      await page.evaluate(() => (window as unknown as { umami: { track: (n: string) => Promise<void> } }).umami.track('After stop'));
      await page.click('#umami-signup');
      await page.waitForTimeout(1000);
      expect(sent).toHaveLength(6);
      await context.close();
    });
  });

  describe('against the real drop-in endpoints: each event counted exactly once in the history API', () => {
    const history = async (siteId: string, route: string, params: Record<string, string> = {}): Promise<Body> => {
      const q = new URLSearchParams({ from: String(Date.now() - 3_600_000), to: String(Date.now() + 60_000), ...params });
      const res = await fetch(`${system.gatewayUrl}/api/sites/${encodeURIComponent(siteId)}/${route}?${q}`, { headers: { Authorization: `Bearer ${system.admin.token}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as Body;
    };
    const rows = async (siteId: string, route: string, params: Record<string, string>) =>
      ((await history(siteId, route, { limit: '100', ...params }))['rows'] as { value: string; count: number }[]).map(({ value, count }) => ({ value, count }));
    /** The test's own count: per value, most first, ties by value. */
    const tally = (values: string[]) => {
      const by = new Map<string, number>();
      for (const v of values) by.set(v, (by.get(v) ?? 0) + 1);
      return [...by].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
    };
    const sortRows = (r: { value: string; count: number }[]) => [...r].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));

    it('counts every page view, SPA navigation, outbound, download and tagged click, plausible() and umami.track() exactly', async () => {
      const pages: Record<string, string[]> = { [PLAUSIBLE_DOMAIN]: [], [UMAMI_WEBSITE]: [] };
      const events: Record<string, string[]> = { [PLAUSIBLE_DOMAIN]: [], [UMAMI_WEBSITE]: [] };
      const accepted: number[] = [];
      /**
       * Engagement events expected: as Plausible's, the first of each page view is always sent, when
       * the page is left (SPA navigation) or hidden; nothing more here, where no page is hidden twice.
       */
      let engagements = 0;
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      context.on('response', (r) => r.request().method() === 'POST' && accepted.push(r.status()));
      const answered = (n: number, what: string) => waitFor(accepted, n, what);
      let posts = 0;

      // two visits with Plausible's snippet, the second with the revenue variant: its purchase and
      // its tagged sign-up (classes plausible-revenue-amount=10, -currency=EUR) carry revenue
      for (const [path, file] of [
        ['/shop/a', PLAUSIBLE_FILE],
        ['/shop/c', PLAUSIBLE_FILE.replace('.js', '.revenue.js')],
      ] as const) {
        const page: Page = await context.newPage();
        await page.goto(site.page(path, plausibleTag(system.ingestUrl, file, '', PLAUSIBLE_DOMAIN)));
        pages[PLAUSIBLE_DOMAIN]!.push(path);
        events[PLAUSIBLE_DOMAIN]!.push('Early');
        await answered((posts += 2), 'Plausible page view and queued event');
        for (const [id, name] of [
          ['#out', 'Outbound Link: Click'],
          ['#file', 'File Download'],
          ['#tagged', 'Sign Up'],
          ['#tagged-link-text', 'Docs'],
          ['#buy', 'Purchase'],
        ] as const) {
          await page.click(id);
          events[PLAUSIBLE_DOMAIN]!.push(name);
          await answered((posts += 1), name);
        }
        await page.click('#push');
        pages[PLAUSIBLE_DOMAIN]!.push('/app/b');
        engagements += 1;
        // the engagement of the page left, then the new page view
        await answered((posts += 2), 'the SPA navigation');
        // the page goes away: the engagement of /app/b, sent (and seen answered) before the page closes
        await page.evaluate(() => window.dispatchEvent(new Event('pagehide')));
        engagements += 1;
        await answered((posts += 1), 'the engagement on leaving');
        await page.close();
      }

      // one visit with Umami's snippet, through our /script.js
      const page = await context.newPage();
      await page.goto(site.page('/u/a', umamiTag(system.ingestUrl, ' data-tag="spring"', UMAMI_WEBSITE)));
      pages[UMAMI_WEBSITE]!.push('/u/a');
      await answered((posts += 1), 'Umami page view');
      for (const [id, name] of [
        ['#umami-signup', 'Signup'],
        ['#umami-docs-text', 'Docs click'],
        ['#umami-track', 'Checkout'],
        ['#umami-signup', 'Signup'],
      ] as const) {
        await page.click(id);
        events[UMAMI_WEBSITE]!.push(name);
        await answered((posts += 1), name);
      }
      await page.click('#push');
      pages[UMAMI_WEBSITE]!.push('/app/b');
      await answered((posts += 1), 'the Umami SPA page view');
      await page.close();
      await context.close();
      // every page closed: any engagement sent on the way out has been answered too
      expect(accepted.filter((s) => s !== 202 && s !== 200)).toEqual([]);

      const { kafka } = system.config;
      for (const id of [PLAUSIBLE_DOMAIN, UMAMI_WEBSITE]) {
        await eventually(
          async () => {
            const t = await history(id, 'totals');
            // at least as many: more (a copy counted twice) shows as a mismatch below
            return (t['pageviews'] as number) >= pages[id]!.length && (t['customEvents'] as number) >= events[id]!.length ? true : undefined;
          },
          60_000,
          `${id}'s events stored`,
        );
      }
      // everything read to the log's end: a copy stored twice would show now
      await waitForCommittedEnd(kafka.brokers!.join(','), kafka.topics.events, kafka.consumerGroup, 60_000);
      for (const id of [PLAUSIBLE_DOMAIN, UMAMI_WEBSITE]) {
        const totals = await history(id, 'totals');
        expect({ site: id, pageviews: totals['pageviews'], customEvents: totals['customEvents'] }).toEqual({ site: id, pageviews: pages[id]!.length, customEvents: events[id]!.length });
        expect(sortRows(await rows(id, 'breakdown', { dimension: 'page' }))).toEqual(tally(pages[id]!));
        expect(sortRows(await rows(id, 'breakdown', { dimension: 'event' }))).toEqual(tally(events[id]!));
      }
      // what no history figure shows is stored all the same, once: revenue, tags, engagement
      const raw = async (site: string, columns: string, rest = '') =>
        (
          await (
            await system.clickhouse.query({
              query: `SELECT ${columns} FROM ${system.config.clickhouse.database}.events_raw WHERE site = {site:String} ${rest}`,
              query_params: { site },
              format: 'JSONEachRow',
            })
          ).json<Record<string, unknown>>()
        ).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])));
      expect(await raw(PLAUSIBLE_DOMAIN, 'name, toString(revenue_amount) AS amount, revenue_currency AS currency', 'AND revenue_amount IS NOT NULL ORDER BY name')).toEqual([
        { name: 'Purchase', amount: '29.5', currency: 'EUR' },
        { name: 'Sign Up', amount: '10', currency: 'EUR' },
      ]);
      expect(await raw(UMAMI_WEBSITE, 'tag, count() AS n', 'GROUP BY tag')).toEqual([{ tag: 'spring', n: String(pages[UMAMI_WEBSITE]!.length + events[UMAMI_WEBSITE]!.length) }]);
      expect(await raw(PLAUSIBLE_DOMAIN, 'count() AS n, countIf(scroll_depth > 0 AND scroll_depth <= 100) AS scrolled', "AND type = 'engagement'")).toEqual([
        { n: String(engagements), scrolled: String(engagements) },
      ]);
      const visits = 2;
      expect(sortRows(await rows(PLAUSIBLE_DOMAIN, 'properties', { event: 'Purchase', key: 'plan' }))).toEqual([{ value: 'pro', count: visits }]);
      expect(sortRows(await rows(PLAUSIBLE_DOMAIN, 'properties', { event: 'Purchase', key: 'seats' }))).toEqual([{ value: '3', count: visits }]);
      expect(sortRows(await rows(PLAUSIBLE_DOMAIN, 'properties', { event: 'Outbound Link: Click', key: 'url' }))).toEqual([{ value: `${site.otherHostUrl}/elsewhere`, count: visits }]);
      expect(sortRows(await rows(PLAUSIBLE_DOMAIN, 'properties', { event: 'File Download', key: 'url' }))).toEqual([{ value: `${site.url}/files/report.pdf`, count: visits }]);
      expect(sortRows(await rows(PLAUSIBLE_DOMAIN, 'properties', { event: 'Sign Up', key: 'plan' }))).toEqual([{ value: 'pro', count: visits }]);
      expect(sortRows(await rows(UMAMI_WEBSITE, 'properties', { event: 'Signup', key: 'seats' }))).toEqual([{ value: '3', count: 2 }]);
      expect(sortRows(await rows(UMAMI_WEBSITE, 'properties', { event: 'Checkout', key: 'total' }))).toEqual([{ value: '42', count: 1 }]);
    }, 180_000);
  });
});
