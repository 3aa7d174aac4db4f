import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTrackerScript } from '@clickstream/tracker';
import { launchChromium } from '../support/browser.js';
import { startTrackerSite, type TrackerSite } from '../support/tracker-page.js';

/** One event as the tracker puts it on the wire. */
interface SentEvent {
  type: string;
  site: string;
  url: string;
  referrer?: string;
  title?: string;
  screen?: string;
  language?: string;
  name?: string;
  props?: Record<string, string | number | boolean>;
  id: string;
  ts: number;
}

/** One POST the fake collect endpoint received, and what it answered. */
interface Delivery {
  events: SentEvent[];
  status: number;
  /** Sec-Fetch-Mode: "cors" for fetch, "no-cors" for a text/plain beacon. */
  mode: string | undefined;
  cookie: string | undefined;
  at: number;
}

/**
 * A stand-in for ingest's HTTP surface only: serves the built tracker, records every POST and
 * answers 202, or 503 with Retry-After during a simulated outage. Kafka is not involved here.
 */
async function startFakeCollect() {
  const deliveries: Delivery[] = [];
  let preflights = 0;
  let outageUntil = 0;
  let outageStatus = 503;
  const script = readTrackerScript('/api/collect');
  const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Retry-After' };
  const readBody = async (req: IncomingMessage) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text;
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/script.js') {
        res.writeHead(200, { 'Content-Type': 'application/javascript', ...cors }).end(script);
        return;
      }
      if (req.method === 'OPTIONS') {
        preflights++;
        res.writeHead(204, { ...cors, 'Access-Control-Allow-Headers': 'content-type', 'Access-Control-Allow-Methods': 'POST' }).end();
        return;
      }
      if (req.method !== 'POST' || req.url !== '/api/collect') {
        res.writeHead(404).end();
        return;
      }
      const events = JSON.parse(await readBody(req)) as SentEvent[];
      const status = Date.now() < outageUntil ? outageStatus : 202;
      deliveries.push({ events, status, mode: req.headers['sec-fetch-mode'], cookie: req.headers.cookie, at: Date.now() });
      if (status !== 202) {
        const retryAfter = status === 503 ? { 'Retry-After': '1' } : {};
        res.writeHead(status, { ...cors, ...retryAfter, 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'refused', detail: 'test' }));
        return;
      }
      res
        .writeHead(202, { ...cors, 'Content-Type': 'application/json' })
        .end(JSON.stringify({ accepted: events.length, ids: events.map((e) => e.id), rejected: [] }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    preflights: () => preflights,
    /** Every POST carrying events of this site, in arrival order. */
    deliveries: (site: string) => deliveries.filter((d) => d.events.some((e) => e.site === site)),
    /** Events of this site in POSTs answered 202, in arrival order. */
    accepted: (site: string) => deliveries.filter((d) => d.status === 202).flatMap((d) => d.events.filter((e) => e.site === site)),
    /** Answers status (503 with Retry-After: 1 by default) instead of 202 for ms. */
    failFor: (ms: number, status = 503) => {
      outageUntil = Date.now() + ms;
      outageStatus = status;
    },
    recover: () => {
      outageUntil = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type FakeCollect = Awaited<ReturnType<typeof startFakeCollect>>;

const ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Polls past the tracker's 1 s batching window, which vitest's 1 s default would race. */
const poll = <T>(read: () => T, timeout = 5_000) => expect.poll(read, { timeout });

describe('the browser tracker in Chromium', () => {
  let browser: Browser;
  let collect: FakeCollect;
  let site: TrackerSite;
  let context: BrowserContext;
  let siteCount = 0;
  /** A fresh site id per test, so late beacons of one test never count in another. */
  const newSite = () => `t${++siteCount}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    collect = await startFakeCollect();
    site = await startTrackerSite(`${collect.url}/script.js`);
    browser = await launchChromium();
  });

  afterEach(async () => {
    collect.recover();
    await context?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await collect?.close();
  });

  async function open(url: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    context = await browser.newContext(options);
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  /**
   * A page whose clock stands still at `at` (Date.now() and timers: the page's own, not the test's),
   * so the tracker's 1 s batching window passes only when the test moves the clock: what a test
   * says about that window holds however slow the machine is.
   */
  async function openPaused(url: string, at: number, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    context = await browser.newContext(options);
    const page = await context.newPage();
    await pauseClock(page, at);
    await page.goto(url);
    return page;
  }

  async function pauseClock(page: Page, at = Date.now()): Promise<void> {
    await page.clock.install({ time: at - 1000 });
    await page.clock.pauseAt(at);
  }

  /**
   * For a page whose tracker must stay silent: every timer it could have set has fired (a minute
   * on the page's paused clock), and it never queued an event (the queue is saved with each one).
   */
  async function expectNothingQueued(page: Page): Promise<void> {
    await page.clock.runFor(60_000);
    expect(await page.evaluate(() => localStorage.getItem('clickstream:queue'))).toBeNull();
  }

  /**
   * Marks the end of a test that expects nothing more to be sent: a custom event queued now and
   * sent once the page's clock passes the batching window. The queue is sent in order, so what
   * is still to go would arrive before or with it; returns every POST up to and including it.
   * `paused`: the page came from openPaused, and its clock is moved past the window.
   */
  async function sendMarker(page: Page, s: string, paused = true): Promise<Delivery[]> {
    await page.evaluate(() => (window as unknown as { clickstream: (name: string) => void }).clickstream('end-marker'));
    if (paused) await page.clock.runFor(1000);
    await poll(() => collect.accepted(s).some((e) => e.name === 'end-marker')).toBe(true);
    return collect.deliveries(s);
  }

  it('sends one pageview on load with site, url, title, screen, language, referrer, an id and the client time', async () => {
    const s = newSite();
    const url = site.page('/app/a', { site: s });
    context = await browser.newContext({ screen: { width: 1440, height: 900 }, locale: 'de-DE' });
    const page = await context.newPage();
    const at = Date.now();
    await pauseClock(page, at);
    await page.goto(url, { referer: 'https://search.example/?q=analytics' });

    // the page's clock stands still: the first pageview is not held for the batching window
    await poll(() => collect.accepted(s).length).toBe(1);
    const [pageview] = collect.accepted(s);
    expect(Object.keys(pageview!).sort()).toEqual(['id', 'language', 'referrer', 'screen', 'site', 'title', 'ts', 'type', 'url']);
    expect(pageview).toMatchObject({
      type: 'pageview',
      site: s,
      url,
      title: 'Page /app/a',
      screen: '1440x900',
      language: 'de-DE',
      referrer: 'https://search.example/?q=analytics',
    });
    expect(pageview!.id).toMatch(ID);
    expect(pageview!.ts).toBe(at);
    // sent once: the marker comes in a POST of its own, after it
    expect((await sendMarker(page, s)).map((d) => d.events.map((e) => e.name ?? e.type))).toEqual([['pageview'], ['end-marker']]);
  });

  it('omits the referrer of a pageview opened directly', async () => {
    const s = newSite();
    await open(site.page('/app/a', { site: s }));
    await poll(() => collect.accepted(s).length).toBe(1);
    expect(collect.accepted(s)[0]).not.toHaveProperty('referrer');
  });

  it('sends a pageview on pushState to a new URL, with the previous URL as its referrer', async () => {
    const s = newSite();
    const first = site.page('/app/a', { site: s });
    const page = await open(first);
    await poll(() => collect.accepted(s).length).toBe(1);
    await page.click('#push');

    await poll(() => collect.accepted(s).length).toBe(2);
    const second = collect.accepted(s)[1]!;
    expect(second).toMatchObject({ type: 'pageview', url: site.page('/app/b', { site: s }), referrer: first });
    expect(second.id).not.toBe(collect.accepted(s)[0]!.id);
  });

  it('sends nothing for a replaceState that keeps the URL', async () => {
    const s = newSite();
    const page = await open(site.page('/app/a', { site: s }));
    await poll(() => collect.accepted(s).length).toBe(1);
    await page.click('#replace');
    // a later event marks the end: a pageview from the replace would be queued before it
    await page.click('#signup');

    // a pageview queued by the replace would go before the event, in the same or an earlier POST
    await poll(() => collect.accepted(s).map((e) => e.type)).toEqual(['pageview', 'event']);
  });

  it('sends a pageview when the visitor goes back (popstate)', async () => {
    const s = newSite();
    const first = site.page('/app/a', { site: s });
    const page = await open(first);
    await poll(() => collect.accepted(s).length).toBe(1);
    await page.click('#push');
    await poll(() => collect.accepted(s).length).toBe(2);
    await page.goBack();

    await poll(() => collect.accepted(s).length).toBe(3);
    expect(collect.accepted(s)[2]).toMatchObject({ type: 'pageview', url: first, referrer: site.page('/app/b', { site: s }) });
  });

  it('sends a custom event with its name and props, and batches events of one second into one POST', async () => {
    const s = newSite();
    const url = site.page('/app/a', { site: s });
    const page = await openPaused(url, Date.now());
    await poll(() => collect.accepted(s).length).toBe(1);
    await page.click('#signup');
    await page.click('#signup');
    await page.click('#signup');
    // one window on the page's clock: the three go together, whatever the machine's speed
    await page.clock.runFor(1000);

    await poll(() => collect.accepted(s).length).toBe(4);
    const signups = collect.accepted(s).slice(1);
    for (const e of signups) {
      expect(e).toMatchObject({ type: 'event', site: s, url, name: 'signup', props: { plan: 'pro', seats: 3 } });
      expect(e).not.toHaveProperty('referrer');
    }
    expect(new Set(signups.map((e) => e.id)).size).toBe(3);
    expect(collect.deliveries(s)).toHaveLength(2);
  });

  it('replays the calls queued by the stub before the script loaded', async () => {
    const s = newSite();
    await open(site.page('/app/a', { site: s, stub: true }));

    await poll(() => collect.accepted(s).map((e) => e.name ?? e.type)).toEqual(['pageview', 'early']);
    expect(collect.accepted(s)[1]).toMatchObject({ type: 'event', props: { n: 1 } });
  });

  it('flushes queued events with sendBeacon when the page becomes hidden', async () => {
    const s = newSite();
    // the page's clock stands still: the click's event waits in the queue until the page hides,
    // however slow the machine (on the real clock a slow step let its 1 s window send it first)
    const page = await openPaused(site.page('/app/a', { site: s }), Date.now());
    await poll(() => collect.accepted(s).length).toBe(1);
    await page.click('#signup');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });

    await poll(() => collect.deliveries(s).length).toBeGreaterThanOrEqual(2);
    const beacon = collect.deliveries(s)[1]!;
    expect(beacon.mode).toBe('no-cors');
    expect(beacon.events.map((e) => e.name)).toEqual(['signup']);
  });

  it('beacons events on leaving the page, sends them once more on the next load, then forgets them', async () => {
    const s = newSite();
    const url = site.page('/app/a', { site: s });
    // as above: the event is still queued when the page is left (CI once saw it fetched first, 'cors')
    const page = await openPaused(url, Date.now());
    await poll(() => collect.accepted(s).length).toBe(1);
    await page.click('#signup');
    await page.goto('about:blank');

    await poll(() => collect.deliveries(s).length).toBe(2);
    const beacon = collect.deliveries(s)[1]!;
    expect(beacon.mode).toBe('no-cors');
    expect(beacon.events.map((e) => e.name)).toEqual(['signup']);
    const signupId = beacon.events[0]!.id;

    // the beacon's answer was never seen: the next load resends the same id, the server dedups
    await page.goto(url);
    await poll(() => collect.deliveries(s).length).toBe(3);
    expect(collect.deliveries(s)[2]!.events.map((e) => e.id)).toContain(signupId);

    await page.goto(url);
    await poll(() => collect.deliveries(s).length).toBe(4);
    expect(collect.deliveries(s)[3]!.events.map((e) => e.type)).toEqual(['pageview']);
  });

  it('keeps events through a 503 outage and retries them with the same ids until accepted once', async () => {
    const s = newSite();
    collect.failFor(3_000);
    const page = await open(site.page('/app/a', { site: s }));
    await page.click('#signup');
    await page.click('#push');

    await poll(() => collect.accepted(s).length, 20_000).toBe(3);
    const accepted = collect.accepted(s);
    expect(accepted.map((e) => e.name ?? e.type)).toEqual(['pageview', 'signup', 'pageview']);
    // each id accepted once: a 202 answer removes the events from the queue
    expect(new Set(accepted.map((e) => e.id)).size).toBe(3);

    const failed = collect.deliveries(s).filter((d) => d.status === 503);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const attempt of failed) {
      for (const e of attempt.events) expect(accepted.find((a) => a.id === e.id)).toEqual(e);
    }
    // Retry-After: 1 and the backoff space the attempts at least a second apart
    const times = collect.deliveries(s).map((d) => d.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
    // nothing sent again after its 202
    await sendMarker(page, s, false);
    expect(collect.accepted(s).map((e) => e.name ?? e.type)).toEqual(['pageview', 'signup', 'pageview', 'end-marker']);
  });

  it('sends events refused with 503 on the next page load, from localStorage', async () => {
    const s = newSite();
    collect.failFor(60_000);
    const url = site.page('/app/a', { site: s });
    const page = await open(url);
    await poll(() => collect.deliveries(s).length).toBe(1);
    const firstId = collect.deliveries(s)[0]!.events[0]!.id;
    await page.close();

    const next = await context.newPage();
    await next.goto(url);
    await poll(() => collect.deliveries(s).some((d) => d.mode === 'cors' && d.events.length === 2)).toBe(true);
    collect.recover();

    await poll(() => collect.accepted(s).length, 10_000).toBe(2);
    expect(collect.accepted(s)[0]!.id).toBe(firstId);
    expect(await next.evaluate(() => localStorage.getItem('clickstream:queue'))).toBe('[]');
  });

  it('drops a batch the server refuses with 400 instead of retrying it', async () => {
    const s = newSite();
    collect.failFor(60_000, 400);
    const page = await open(site.page('/app/a', { site: s }));
    await poll(() => collect.deliveries(s).length).toBe(1);
    collect.recover();
    await page.click('#signup');

    await poll(() => collect.accepted(s).length).toBe(1);
    expect(collect.deliveries(s).map((d) => d.events.map((e) => e.name ?? e.type))).toEqual([['pageview'], ['signup']]);
  });

  it('keeps at most 100 unsent events, dropping the oldest', async () => {
    const s = newSite();
    collect.failFor(60_000);
    const page = await open(site.page('/app/a', { site: s }));
    const stored = await page.evaluate(() => {
      const track = (window as unknown as { clickstream: (name: string, props: Record<string, number>) => void }).clickstream;
      for (let i = 0; i < 120; i++) track('burst', { i });
      return JSON.parse(localStorage.getItem('clickstream:queue') ?? '[]') as { e: { name?: string; props?: { i: number } } }[];
    });
    // 121 events (the pageview and 120 bursts): the pageview and the first 20 bursts go
    expect(stored).toHaveLength(100);
    expect(stored.map((item) => item.e.props?.i)).toEqual(Array.from({ length: 100 }, (_, k) => k + 20));
  });

  it.each([
    ['localStorage clickstream:optout=1', {}, true],
    ['a data-optout attribute', { 'data-optout': '' }, false],
  ])('sends nothing when opted out with %s', async (_how, attrs: Record<string, string>, viaStorage) => {
    const s = newSite();
    context = await browser.newContext();
    if (viaStorage) await context.addInitScript(() => localStorage.setItem('clickstream:optout', '1'));
    const page = await context.newPage();
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    await pauseClock(page);
    await page.goto(site.page('/app/a', { site: s, attrs }));
    await page.waitForFunction(() => typeof (window as unknown as { clickstream?: unknown }).clickstream === 'function');
    await page.click('#signup');
    await page.click('#push');

    await expectNothingQueued(page);
    expect(posts).toEqual([]);
    expect(collect.deliveries(s)).toEqual([]);
  });

  it('tracks when data-optout is "false"', async () => {
    const s = newSite();
    await open(site.page('/app/a', { site: s, attrs: { 'data-optout': 'false' } }));
    await poll(() => collect.accepted(s).length).toBe(1);
  });

  it.each([
    ['sends nothing', { 'data-respect-dnt': 'true' }, 0],
    ['still tracks', {}, 1],
  ])('with Do Not Track on, %s when the tag asks to respect it or not', async (_what, attrs: Record<string, string>, expected) => {
    const s = newSite();
    context = await browser.newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { configurable: true, get: () => '1' }));
    const page = await context.newPage();
    await pauseClock(page);
    await page.goto(site.page('/app/a', { site: s, attrs }));
    // the script has run (and decided), so "nothing sent" is not merely "not loaded yet"
    await page.waitForFunction(() => typeof (window as unknown as { clickstream?: unknown }).clickstream === 'function');
    await page.click('#signup');

    if (expected > 0) await poll(() => collect.accepted(s).filter((e) => e.type === 'pageview').length).toBe(expected);
    else await expectNothingQueued(page);
    expect(collect.accepted(s).filter((e) => e.type === 'pageview')).toHaveLength(expected);
  });

  it('sets no cookie and sends no Cookie header, and posts without a CORS preflight', async () => {
    const s = newSite();
    const page = await open(site.page('/app/a', { site: s }));
    await page.click('#signup');
    await page.click('#push');
    await poll(() => collect.accepted(s).length).toBe(3);
    await page.click('#signup');
    await page.goto('about:blank');
    await poll(() => collect.deliveries(s).map((d) => d.mode)).toContain('no-cors');

    expect(await context.cookies()).toEqual([]);
    expect(collect.deliveries(s).map((d) => d.cookie)).toEqual(collect.deliveries(s).map(() => undefined));
    expect(collect.preflights()).toBe(0);
  });

  it('keeps the site cookies of the page off its fetch requests (credentials omitted)', async () => {
    const s = newSite();
    context = await browser.newContext();
    // cookies ignore the port: this one would reach the collect server if credentials were sent
    await context.addCookies([{ name: 'session', value: 'secret', domain: '127.0.0.1', path: '/' }]);
    const page = await context.newPage();
    await page.goto(site.page('/app/a', { site: s }));
    await page.click('#signup');

    await poll(() => collect.accepted(s).length).toBe(2);
    const fetches = collect.deliveries(s).filter((d) => d.mode === 'cors');
    expect(fetches).toHaveLength(2);
    for (const d of fetches) expect(d.cookie).toBeUndefined();
  });
});
