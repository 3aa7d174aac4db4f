import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

const SITE = 'shop';
const NAME = '<img src=x onerror="window.__xss=1">';

/** The cells of a table's rows, as shown. */
const tableRows = (page: Page, id: string): Promise<string[][]> =>
  page.$$eval(`#${id} tbody tr:not(.empty)`, (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent ?? '')));

describe('the dashboard shows engagement beside a page and revenue beside an event and a goal', () => {
  let system: TestSystem;
  let browser: Browser;

  beforeAll(async () => {
    system = await startTestSystem({ RATE_LIMIT_PER_SECOND: '0' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    system?.cleanup();
  });

  it('reads them from what the test sent, the event name as text', async () => {
    const sent: [number, Record<string, unknown>][] = [
      [1, { url: 'https://shop.example/a' }],
      [1, { type: 'engagement', url: 'https://shop.example/a', scrollDepth: 30, engagedMs: 4_000 }],
      [2, { url: 'https://shop.example/a' }],
      [2, { type: 'engagement', url: 'https://shop.example/a', scrollDepth: 91, engagedMs: 80_000 }],
      [2, { type: 'event', url: 'https://shop.example/a', name: NAME, revenue: { amount: '12.30', currency: 'EUR' } }],
      [1, { type: 'event', url: 'https://shop.example/a', name: NAME, revenue: { amount: 7, currency: 'USD' } }],
    ];
    for (const [visitor, body] of sent) {
      const res = await fetch(`${system.ingestUrl}/api/collect`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': `${BROWSER_UA} dash/${visitor}` }, body: JSON.stringify({ site: SITE, ...body }) });
      expect(res.status).toBe(202);
    }
    const goal = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/goals`, { method: 'POST', headers: { Authorization: `Bearer ${system.admin.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ event: NAME }) });
    expect(goal.status).toBe(201);

    // the test's own figures: /a viewed twice; scroll (30 + 91) / 2 = 60.5 → 61 %; (4 s + 80 s) / 2 visitors = 42 s
    const reports = sent.filter(([, b]) => b['type'] === 'engagement').map(([v, b]) => ({ v, depth: Number(b['scrollDepth']), ms: Number(b['engagedMs']) }));
    const depth = Math.round(reports.reduce((s, r) => s + r.depth, 0) / reports.length);
    const seconds = Math.round(reports.reduce((s, r) => s + r.ms, 0) / new Set(reports.map((r) => r.v)).size / 1000);
    expect([depth, seconds]).toEqual([61, 42]);

    const dashboard = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await dashboard.goto(await system.dashboardUrl(SITE));
    await dashboard.waitForSelector('#status[data-state="live"]');
    await expect.poll(() => tableRows(dashboard, 'top-pages'), { timeout: 20_000 }).toEqual([['/a', `2 · scrolled ${depth}% · ${seconds}s`]]);
    // amounts as sent, each currency apart, in alphabetical order
    await expect.poll(() => tableRows(dashboard, 'top-events'), { timeout: 20_000 }).toEqual([[NAME, '2 · 12.3 EUR, 7 USD']]);
    await expect.poll(() => tableRows(dashboard, 'goals'), { timeout: 20_000 }).toEqual([[NAME, '2 · 100% · 12.3 EUR, 7 USD']]);
    expect(await dashboard.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    await dashboard.close();
  });
});
