import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPort, projectRoot, startLocalKafka, type RunningKafka } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';
import { launchChromium } from '../support/browser.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { BROWSER_UA, eventually, startTestSystem, type TestSystem } from '../support/test-system.js';
import { startTrackerSite, type TrackerSite } from '../support/tracker-page.js';

/** A TCP relay in front of ingest that can drop every connection, as a flaky network does. */
async function startRelay(target: URL): Promise<{ url: string; drop(on: boolean): void; close(): Promise<void> }> {
  let dropping = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (dropping) return client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    drop: (on) => {
      dropping = on;
      if (on) for (const s of open) s.destroy();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Stored rows of a site, and how many distinct client ids they hold, once the log is read to its end. */
async function storedOnce(system: TestSystem, site: string, expected: number, timeoutMs = 120_000): Promise<{ rows: number; ids: number }> {
  const { kafka, clickhouse } = system.config;
  const read = async (): Promise<{ rows: number; ids: number }> => {
    const [row] = await (
      await system.clickhouse.query({
        query: `SELECT count() AS rows, uniqExact(client_event_id) AS ids FROM ${clickhouse.database}.events_raw WHERE site = {site:String}`,
        query_params: { site },
        format: 'JSONEachRow',
      })
    ).json<{ rows: string; ids: string }>();
    return { rows: Number(row?.rows), ids: Number(row?.ids) };
  };
  await eventually(async () => ((await read()).rows >= expected ? true : undefined), timeoutMs, `${expected} events of ${site} stored`);
  await waitForCommittedEnd(kafka.brokers!.join(','), kafka.topics.events, kafka.consumerGroup, 60_000);
  return read();
}

/** A page view and `clicks` custom events from a page carrying the tag, each click a moment apart so they leave in several requests. */
async function visit(context: BrowserContext, site: TrackerSite, siteId: string, clicks: number, endpoint?: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(site.page('/app/a', { site: siteId, attrs: endpoint ? { 'data-endpoint': endpoint } : {} }));
  await page.waitForFunction(() => typeof (window as unknown as { clickstream?: unknown }).clickstream === 'function');
  for (let i = 0; i < clicks; i += 1) {
    await page.click('#signup');
    await page.waitForTimeout(300);
  }
  return page;
}

describe('the browser tracker against the real ingest: refused, unreachable and dropped, every event stored once', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('with a strict rate limit', () => {
    let system: TestSystem;
    let site: TrackerSite;

    beforeAll(async () => {
      // one request at once, then one every 2 s: the tag's requests get 429 with Retry-After
      system = await startTestSystem({ RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_SECOND: '0.5' });
      site = await startTrackerSite(`${system.ingestUrl}/script.js`);
    });
    afterAll(async () => {
      await site?.close();
      await system?.stop();
      system?.cleanup();
    });

    it('retries what got 429 after Retry-After, with the same ids, until each event is stored once', async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      const statuses: number[] = [];
      context.on('response', (r) => r.request().method() === 'POST' && statuses.push(r.status()));
      await visit(context, site, 'alpha', 6);
      const stored = await storedOnce(system, 'alpha', 7);
      expect(statuses).toContain(429);
      expect(stored).toEqual({ rows: 7, ids: 7 });
      await context.close();
    }, 180_000);
  });

  describe('on a broker of its own, behind a relay that can drop connections', () => {
    let system: TestSystem;
    let site: TrackerSite;
    let kafka: RunningKafka | undefined;
    let relay: Awaited<ReturnType<typeof startRelay>>;
    const dataDir = mkdtempSync(join(tmpdir(), 'clickstream-tracker-kafka-'));
    let ports: { port: number; controllerPort: number };
    const startBroker = (): Promise<RunningKafka> =>
      startLocalKafka({ projectRoot: projectRoot(), ...ports, dataDir, cacheDir: join(projectRoot(), '.cache/kafka'), logger: createLogger('warn', 'tracker-kafka') });

    beforeAll(async () => {
      ports = { port: await claimPort(0, 'test'), controllerPort: await claimPort(0, 'test') };
      kafka = await startBroker();
      system = await startTestSystem({ KAFKA_BROKERS: kafka.brokers.join(','), PRODUCE_TIMEOUT_MS: '1000' });
      site = await startTrackerSite(`${system.ingestUrl}/script.js`);
      relay = await startRelay(new URL(system.ingestUrl));
    }, 180_000);
    afterAll(async () => {
      await relay?.close();
      await site?.close();
      await system?.stop();
      system?.cleanup();
      await kafka?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps what a dropped connection lost and sends it again once the network is back: each event stored once', async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      let failed = 0;
      context.on('requestfailed', (r) => r.method() === 'POST' && (failed += 1));
      relay.drop(true);
      await visit(context, site, 'beta', 4, `${relay.url}/api/collect`);
      await eventually(() => (failed > 0 ? true : undefined), 30_000, 'a collect request lost to the dropped connection');
      relay.drop(false);
      expect(await storedOnce(system, 'beta', 5)).toEqual({ rows: 5, ids: 5 });
      await context.close();
    }, 180_000);

    it('keeps what got 503 while Kafka was stopped and sends it again once Kafka is back: each event stored once', async () => {
      const context = await browser.newContext({ userAgent: BROWSER_UA });
      const statuses: number[] = [];
      context.on('response', (r) => r.request().method() === 'POST' && statuses.push(r.status()));
      await kafka!.stop();
      kafka = undefined;
      const page = await visit(context, site, 'gamma', 3);
      await eventually(() => (statuses.includes(503) ? true : undefined), 30_000, 'a 503 while Kafka is stopped');
      kafka = await startBroker();
      // an event answered 503 may have landed all the same; the tag sends it again until a 202,
      // and the copy is recognised by its id
      await eventually(() => (statuses.at(-1) === 202 ? true : undefined), 120_000, 'the tag accepted again after its retries');
      expect(await storedOnce(system, 'gamma', 4)).toEqual({ rows: 4, ids: 4 });
      await page.close();
      await context.close();
    }, 180_000);
  });
});
