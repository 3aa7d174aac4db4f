import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserAndSystem, sendPageview } from '../support/browser-system.js';
import { storedPageviews } from '../support/test-system.js';

const SITE = 'demo';
/** The history reads of the dashboard (the live socket and the ops figures are apart). */
const HISTORY_READ = /\/api\/sites\/[^/]+\/(totals|timeseries|breakdown|conversions)\b/;
/**
 * Longer than a shown page waits after a live update before it refreshes: its 2.5 s settle, or its
 * gap (2 s, or four times the last refresh when that is longer; a refresh of this small site takes
 * well under a second, so the gap is 2-4 s). Checked once by letting a hidden page refresh: it read
 * 13 times in this window.
 */
const LONGER_THAN_A_REFRESH_WAIT_MS = 6_000;

/**
 * Headless Chromium shows every page, so the test makes the page's document say it is hidden, as
 * a browser does for a tab behind another, and fires the event a browser fires then.
 */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

describe('the dashboard in a hidden tab', () => {
  const running = browserAndSystem();
  const pageview = (path: string): Promise<void> => sendPageview(running.system, SITE, path);

  it('reads no history while hidden, keeps its live figures moving, and catches up once shown', async () => {
    const { system, browser } = running;
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const reads: string[] = [];
    page.on('request', (request) => {
      if (HISTORY_READ.test(request.url())) reads.push(request.url());
    });
    await page.goto(await system.dashboardUrl(SITE));
    await page.waitForSelector('#status[data-state="live"]');
    await pageview('/a');
    await expect.poll(() => page.textContent('#total-pageviews'), { timeout: 15_000 }).toBe('1');

    await setHidden(page, true);
    reads.length = 0;
    await pageview('/b');
    await pageview('/c');
    // the live view still hears of them: a shown page would refresh its history after this
    await expect.poll(() => page.textContent('#today'), { timeout: 10_000 }).toBe('3');
    await expect.poll(() => storedPageviews(system, SITE), { timeout: 10_000 }).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, LONGER_THAN_A_REFRESH_WAIT_MS));
    expect(reads).toEqual([]);
    expect(await page.textContent('#total-pageviews')).toBe('1');

    await setHidden(page, false);
    await expect.poll(() => page.textContent('#total-pageviews'), { timeout: 10_000 }).toBe('3');
    expect(reads.length).toBeGreaterThan(0);
    await page.close();
  });
});
