import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserAndSystem } from '../support/browser-system.js';
import { postJson } from '../support/test-system.js';

const SITE = 'shop';
const IMG = '<img src=x onerror="window.__xss=1">';
const SCRIPT = '<script>window.__xss=1</script>';

/** The first cells of a top-N table's rows, as shown. */
const shownValues = (page: Page, id: string): Promise<string[]> =>
  page.$$eval(`#${id} tbody tr:not(.empty) td.value`, (cells) => cells.map((td) => td.textContent ?? ''));

describe('the dashboard shows what tracked pages send as text, never as markup', () => {
  const running = browserAndSystem();

  it('lists paths, campaign sources and event names carrying HTML as literal text, and none of it runs', async () => {
    const { system, browser } = running;
    const dashboard = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const dialogs: string[] = [];
    dashboard.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await dashboard.goto(await system.dashboardUrl(SITE));
    await dashboard.waitForSelector('#status[data-state="live"]');

    const collect = `${system.ingestUrl}/api/collect`;
    const page = `https://shop.example/${IMG}?utm_source=${encodeURIComponent(SCRIPT)}`;
    const sent = [
      { site: SITE, url: page, title: SCRIPT, referrer: `https://evil.example/${SCRIPT}` },
      { site: SITE, url: `https://shop.example/${SCRIPT}`, title: IMG, referrer: IMG },
      { type: 'event', site: SITE, url: page, name: IMG, props: { note: SCRIPT } },
      { type: 'event', site: SITE, url: page, name: SCRIPT },
    ];
    for (const body of sent) expect((await postJson(collect, body)).status).toBe(202);

    await expect.poll(() => dashboard.textContent('#today'), { timeout: 8_000 }).toBe('2');
    await expect.poll(async () => (await shownValues(dashboard, 'top-pages')).sort(), { timeout: 10_000 }).toEqual([`/${SCRIPT}`, `/${IMG}`].sort());
    await expect.poll(async () => (await shownValues(dashboard, 'top-events')).sort(), { timeout: 10_000 }).toEqual([IMG, SCRIPT].sort());
    await expect.poll(() => shownValues(dashboard, 'top-utm-sources'), { timeout: 10_000 }).toEqual([SCRIPT]);
    // entry pages come from the stored sessions (history), which can trail the live tables
    await expect.poll(() => shownValues(dashboard, 'top-entry-pages'), { timeout: 10_000 }).toEqual(expect.arrayContaining([`/${IMG}`]));

    const dom = await dashboard.evaluate(() => ({
      xss: (window as unknown as { __xss?: unknown }).__xss,
      images: document.querySelectorAll('img').length,
      foreignScripts: Array.from(document.scripts).filter((s) => !s.src || (s.textContent ?? '').includes('__xss')).length,
      handlers: document.querySelectorAll('[onerror], [onload]').length,
      tablesHtml: Array.from(document.querySelectorAll('table'), (t) => t.innerHTML).join(''),
    }));
    expect(dom.xss).toBeUndefined();
    expect(dom.images).toBe(0);
    expect(dom.foreignScripts).toBe(0);
    expect(dom.handlers).toBe(0);
    // the markup is there, escaped, as the text of a cell
    expect(dom.tablesHtml).toContain('&lt;img src=x onerror="window.__xss=1"&gt;');
    expect(dom.tablesHtml).toContain('&lt;script&gt;window.__xss=1&lt;/script&gt;');
    expect(dialogs).toEqual([]);
  });
});
