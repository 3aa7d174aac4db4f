import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPort, projectRoot, startLocalKafka, type RunningKafka } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';
import { eventually, postJson, startTestSystem, storedPageviews } from '../support/test-system.js';

type System = Awaited<ReturnType<typeof startTestSystem>>;

describe('ingest while Kafka goes away and comes back', () => {
  let kafka: RunningKafka | undefined;
  let system: System;
  let dataDir: string;
  let port: number;
  let controllerPort: number;
  const startBroker = () =>
    startLocalKafka({ projectRoot: projectRoot(), port, controllerPort, dataDir, cacheDir: join(projectRoot(), '.cache/kafka'), logger: createLogger('warn', 'outage-kafka') });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'clickstream-outage-'));
    port = await claimPort(0, 'test');
    controllerPort = await claimPort(0, 'test');
    kafka = await startBroker();
    system = await startTestSystem({ KAFKA_BROKERS: kafka.brokers.join(','), PRODUCE_TIMEOUT_MS: '1000' });
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
    await kafka?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while Kafka is down, never 202, and accepts again once it is back', async () => {
    const send = (n: number) => postJson(`${system.ingestUrl}/api/collect`, { site: 'shop', url: `https://shop.example/${n}`, id: `outage-event-${n}` });
    expect((await send(0)).status).toBe(202);

    await kafka!.stop();
    kafka = undefined;
    const started = Date.now();
    const down = await send(1);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: 'unavailable' });
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    // answered within the produce timeout (1 s here) plus the request's own work, not after kafkajs' retries
    expect(Date.now() - started).toBeLessThan(5_000);
    await eventually(async () => ((await fetch(`${system.ingestUrl}/health`)).status === 503 ? true : undefined), 15_000, '/health degraded');
    expect(await (await fetch(`${system.ingestUrl}/health`)).json()).toEqual({ status: 'degraded', kafka: 'down' });
    const alsoDown = await send(2);
    expect(alsoDown.status).toBe(503);

    kafka = await startBroker();
    // the same ingest, not restarted: retrying like the tracker does until accepted
    const accepted: number[] = [0];
    for (const n of [1, 2, 3]) {
      await eventually(async () => ((await send(n)).status === 202 ? true : undefined), 60_000, `event ${n} accepted after the restart`);
      accepted.push(n);
    }
    await eventually(async () => ((await fetch(`${system.ingestUrl}/health`)).status === 200 ? true : undefined), 15_000, '/health ok again');

    // every accepted event stored once, even those whose first attempt got a 503 but landed later
    await eventually(async () => {
      const pageviews = await storedPageviews(system, 'shop');
      return pageviews >= accepted.length ? pageviews : undefined;
    }, 30_000, 'all accepted events stored');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await storedPageviews(system, 'shop')).toBe(accepted.length);
  });
});
