import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { launchChromium } from './browser.js';
import { postJson, startTestSystem, type TestSystem } from './test-system.js';

/**
 * A test system and Debian's Chromium for the browser tests of one describe block: started before
 * its tests, stopped after them. Read `system` and `browser` inside the tests, once started.
 */
export function browserAndSystem(): { readonly system: TestSystem; readonly browser: Browser } {
  let system: TestSystem | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    system = await startTestSystem();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    system?.cleanup();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the ${what} is not started yet: read it inside a test`);
    return value;
  };
  return {
    get system() {
      return started(system, 'test system');
    },
    get browser() {
      return started(browser, 'browser');
    },
  };
}

/** One page view of `https://<site>.example<path>`, sent to the collect endpoint; fails the test unless it is accepted. */
export async function sendPageview(system: Pick<TestSystem, 'ingestUrl'>, site: string, path: string): Promise<void> {
  expect((await postJson(`${system.ingestUrl}/api/collect`, { site, url: `https://${site}.example${path}` })).status).toBe(202);
}
