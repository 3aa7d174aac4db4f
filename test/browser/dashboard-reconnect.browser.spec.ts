import { describe, expect, it } from 'vitest';
import { browserAndSystem, sendPageview } from '../support/browser-system.js';
import { storedPageviews } from '../support/test-system.js';

const SITE = 'demo';

describe('the dashboard across a network outage', () => {
  const running = browserAndSystem();
  const pageview = (path: string): Promise<void> => sendPageview(running.system, SITE, path);

  it('says it is reconnecting while offline, then shows the stored total again once back online', async () => {
    const { system, browser } = running;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const dashboard = await context.newPage();
    await dashboard.goto(await system.dashboardUrl(SITE));
    await dashboard.waitForSelector('#status[data-state="live"]');
    await pageview('/a');
    await pageview('/b');
    await expect.poll(() => dashboard.textContent('#today'), { timeout: 8_000 }).toBe('2');

    await context.setOffline(true);
    await expect.poll(() => dashboard.getAttribute('#status', 'data-state')).toBe('reconnecting');
    for (const path of ['/c', '/d', '/e']) await pageview(path);
    await expect.poll(() => storedPageviews(system, SITE), { timeout: 10_000 }).toBe(5);
    // cut off for real: the page has not heard of the new page views
    expect(await dashboard.textContent('#today')).toBe('2');
    expect(await dashboard.getAttribute('#status', 'data-state')).toBe('reconnecting');

    await context.setOffline(false);
    await dashboard.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    // the snapshot of the new connection replaces the state: no update needed to catch up
    await expect.poll(() => dashboard.textContent('#today'), { timeout: 8_000 }).toBe(String(await storedPageviews(system, SITE)));
    expect(await dashboard.textContent('#today')).toBe('5');
    // and the live path works again
    await pageview('/f');
    await expect.poll(() => dashboard.textContent('#today'), { timeout: 8_000 }).toBe('6');
    await context.close();
  });
});
