import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { FIREFOX_UA, IPHONE_UA, pageviewsOf, payloadOf, ua, type Visitor } from '../support/sent-visits.js';
import { waitUntilStored } from '../support/stored-events.js';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

const SITE = 'shop';
const MARKUP = '<img src=x onerror="window.__xss=1">';
const SCRIPT = '<script>window.__xss=1</script>';

// minutes ago: all of them today (UTC), the dashboard's default range, unless the day just began
const VISITORS: Visitor[] = [
  { ua: ua(BROWSER_UA, 0), hits: [{ at: 0, page: '/', referrer: 'https://news.example/a' }, { at: 1, page: '/pricing' }, { at: 2, page: '/pricing', name: 'signup', props: { note: MARKUP } }] },
  { ua: ua(IPHONE_UA, 1), hits: [{ at: 0, page: '/blog', referrer: 'https://news.example/b' }] },
  { ua: ua(FIREFOX_UA, 2), hits: [{ at: 0, page: '/', referrer: 'https://search.example/' }, { at: 1, page: '/docs' }] },
  { ua: ua(BROWSER_UA, 3), hits: [{ at: 0, page: '/pricing', referrer: 'https://search.example/' }] },
  { ua: ua(BROWSER_UA, 4), hits: [{ at: 0, page: '/' }] },
  { ua: ua(IPHONE_UA, 5), hits: [{ at: 0, page: `/${SCRIPT}` }, { at: 1, page: '/checkout' }] },
];
const NEWS = VISITORS.filter((v) => v.hits[0]!.referrer?.startsWith('https://news.example'));

/** Totals as the cards show them, from the visitors given (each one session). */
const cardsOf = (visitors: readonly Visitor[]) => ({
  pageviews: String(visitors.reduce((n, v) => n + pageviewsOf(v).length, 0)),
  visitors: String(visitors.length),
  sessions: String(visitors.length),
});

/** Page views per page of the visitors given, as the Pages table lists them (most first, ties by path). */
const pagesOf = (visitors: readonly Visitor[]): string[] => {
  const counts = new Map<string, number>();
  for (const v of visitors) for (const h of pageviewsOf(v)) counts.set(h.page, (counts.get(h.page) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([page]) => page);
};

const shownValues = (page: Page, id: string): Promise<string[]> => page.$$eval(`#${id} tbody tr:not(.empty) td.value`, (cells) => cells.map((td) => td.textContent ?? ''));

const cards = async (page: Page) => ({
  pageviews: await page.textContent('#total-pageviews'),
  visitors: await page.textContent('#total-visitors'),
  sessions: await page.textContent('#total-sessions'),
});

/** Waits until the history half shows answers under the filters in force. */
const settled = (page: Page): Promise<unknown> => page.waitForFunction(() => document.body.dataset['history'] !== 'loading');

describe('dashboard filters in Chromium: a click filters every history figure, the URL keeps it, a chip removes it', () => {
  let system: TestSystem;
  let browser: Browser;
  const dialogs: string[] = [];

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    const now = Date.now();
    let sent = 0;
    for (const v of VISITORS) {
      sent += v.hits.length;
      const res = await fetch(`${system.ingestUrl}/api/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': v.ua },
        body: JSON.stringify(v.hits.map((h) => payloadOf(h, SITE, now - (3 - h.at) * 1000))),
      });
      expect(res.status).toBe(202);
    }
    await waitUntilStored(system, sent, 20_000);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    system?.cleanup();
  });

  it('filters by a clicked referrer, keeps it over a reload, and restores the totals when the chip is removed', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // every read the page makes is answered: a failed one leaves its card or chart empty without a word
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/') && r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
    });
    await page.goto(await system.dashboardUrl(SITE));
    const all = cardsOf(VISITORS);
    await expect.poll(() => cards(page), { timeout: 15_000 }).toEqual(all);
    await expect.poll(() => shownValues(page, 'top-referrers'), { timeout: 10_000 }).toEqual(['news.example', 'search.example']);
    expect(await page.isHidden('#filters')).toBe(true);
    expect(await page.isHidden('#live-unfiltered')).toBe(true);

    await page.click('#top-referrers tbody tr.filterable button.row-filter:text-is("news.example")');
    await expect.poll(() => new URL(page.url()).searchParams.getAll('filter')).toEqual(['referrer==news.example']);
    await settled(page);
    const filtered = async (): Promise<void> => {
      await expect.poll(() => cards(page), { timeout: 10_000 }).toEqual(cardsOf(NEWS));
      await expect.poll(() => shownValues(page, 'top-pages'), { timeout: 10_000 }).toEqual(pagesOf(NEWS));
      await expect.poll(() => shownValues(page, 'top-referrers'), { timeout: 10_000 }).toEqual(['news.example']);
      await expect.poll(() => shownValues(page, 'top-entry-pages'), { timeout: 10_000 }).toEqual(['/', '/blog']);
      await expect.poll(() => shownValues(page, 'top-events'), { timeout: 10_000 }).toEqual(['signup']);
      expect(await page.$$eval('#filters .filter-chip', (chips) => chips.map((c) => (c as HTMLElement).dataset['filter']))).toEqual(['referrer==news.example']);
      expect(await page.textContent('#filters .filter-chip .filter-label')).toBe('Referrer is news.example');
      // the live part counts all traffic, and says so
      expect(await page.isVisible('#live-unfiltered')).toBe(true);
      // the downloads follow the filter too
      expect(new URL((await page.getAttribute('#range-csv', 'href'))!, page.url()).searchParams.getAll('filter')).toEqual(['referrer==news.example']);
    };
    await filtered();

    await page.reload();
    await settled(page);
    await filtered();

    await page.click('#filters .filter-chip button.filter-remove');
    await expect.poll(() => new URL(page.url()).searchParams.getAll('filter')).toEqual([]);
    await settled(page);
    await expect.poll(() => cards(page), { timeout: 10_000 }).toEqual(all);
    await expect.poll(() => shownValues(page, 'top-pages'), { timeout: 10_000 }).toEqual(pagesOf(VISITORS));
    expect(await page.isHidden('#filters')).toBe(true);
    expect(await page.isHidden('#live-unfiltered')).toBe(true);
    expect(failed).toEqual([]);
    await page.close();
  });

  it('says which reads failed instead of leaving their parts blank without a word', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // the gateway answers these two reads as it answers an internal error; every other read is the real server's
    const failing = /\/api\/sites\/[^/]+\/(timeseries|breakdown)\?.*dimension=referrer|\/api\/sites\/[^/]+\/timeseries\?/;
    const failure = { status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'internal', detail: 'internal error (request req-test)' }) };
    await page.route(failing, (route) => route.fulfill(failure));
    await page.goto(await system.dashboardUrl(SITE));
    await settled(page);
    await expect.poll(() => page.isVisible('#history-error'), { timeout: 10_000 }).toBe(true);
    expect(await page.textContent('#history-error')).toContain('HTTP 500: internal error (request req-test)');
    // the figures that did arrive are shown, the failed table is blank
    await expect.poll(() => cards(page), { timeout: 10_000 }).toEqual(cardsOf(VISITORS));
    expect(await shownValues(page, 'top-referrers')).toEqual([]);

    await page.unroute(failing);
    await page.reload();
    await settled(page);
    await expect.poll(() => shownValues(page, 'top-referrers'), { timeout: 10_000 }).toEqual(['news.example', 'search.example']);
    expect(await page.isHidden('#history-error')).toBe(true);
    await page.close();
  });

  it('shows markup in filter values and property values as text, and none of it runs', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const url = new URL(await system.dashboardUrl(SITE));
    // a path is stored as the URL holds it (percent-encoded); the chip shows it decoded, as the tables do
    url.searchParams.append('filter', `page==${new URL(`https://shop.example/${SCRIPT}`).pathname}|${MARKUP}`);
    await page.goto(url.toString());
    await settled(page);
    await expect.poll(() => page.textContent('#filters .filter-chip .filter-label'), { timeout: 10_000 }).toBe(`Page is /${SCRIPT} or ${MARKUP}`);
    await expect.poll(() => cards(page), { timeout: 10_000 }).toEqual({ pageviews: '1', visitors: '1', sessions: '1' });

    // a property value carrying markup, clicked into a filter
    await page.click('#filters .filter-chip button.filter-remove');
    await settled(page);
    await expect.poll(() => page.$$eval('#props-event option', (o) => o.map((x) => (x as HTMLOptionElement).value)), { timeout: 10_000 }).toContain('signup');
    await page.selectOption('#props-event', 'signup');
    await expect.poll(() => page.$$eval('#props-key option', (o) => o.map((x) => (x as HTMLOptionElement).value)), { timeout: 10_000 }).toContain('note');
    await page.selectOption('#props-key', 'note');
    await expect.poll(() => shownValues(page, 'props-values'), { timeout: 10_000 }).toEqual([MARKUP]);
    await page.click('#props-values tbody tr.filterable');
    await expect.poll(() => page.textContent('#filters .filter-chip .filter-label'), { timeout: 10_000 }).toBe(`Property note is ${MARKUP}`);
    await settled(page);
    await expect.poll(() => cards(page), { timeout: 10_000 }).toEqual({ pageviews: '0', visitors: '1', sessions: '1' });
    // a property of a custom event selects no page view: the pages table says the filters left none
    await expect.poll(() => page.textContent('#top-pages tbody tr.empty'), { timeout: 10_000 }).toBe('None under these filters');

    const dom = await page.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      images: document.querySelectorAll('img').length,
      handlers: document.querySelectorAll('[onerror], [onload]').length,
    }));
    expect(dom).toEqual({ xss: undefined, images: 0, handlers: 0 });
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
