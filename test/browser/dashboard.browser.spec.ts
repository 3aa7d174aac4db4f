import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snippet } from '@clickstream/tracker';
import { launchChromium } from '../support/browser.js';
import { startSiteServer } from '../support/site-server.js';
import { BROWSER_UA, startTestSystem } from '../support/test-system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;

describe('in a real browser, a page carrying the snippet moves the live dashboard', () => {
  let system: System;
  let browser: Browser;
  let site: Awaited<ReturnType<typeof startSiteServer>>;

  beforeAll(async () => {
    system = await startTestSystem();
    site = await startSiteServer(snippet(`${system.ingestUrl}/script.js`, 'browser-site'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await system?.stop();
    system?.cleanup();
  });

  it('shows the pageviews of a tracked page on the dashboard', async () => {
    const dashboard = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await dashboard.goto(await system.dashboardUrl('browser-site'));
    await dashboard.waitForSelector('#status[data-state="live"]');
    await expect.poll(() => dashboard.textContent('#today')).toBe('0');

    // headless Chromium announces itself as HeadlessChrome, which is (rightly) counted as a bot
    const visitor = await browser.newPage({ userAgent: BROWSER_UA });
    await visitor.goto(`${site.url}/`);
    await visitor.click('#next');
    await visitor.waitForURL(`${site.url}/pricing`);
    await visitor.waitForLoadState('load');

    await expect.poll(() => dashboard.textContent('#today'), { timeout: 10_000 }).toBe('2');
    await expect.poll(() => dashboard.textContent('#minute'), { timeout: 5_000 }).toBe('2');
    mkdirSync('test-results', { recursive: true });
    await dashboard.screenshot({ path: 'test-results/dashboard.png' });
  });
});
