import { Kafka, logLevel } from 'kafkajs';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveSnapshot, LiveState } from '../../apps/gateway/src/live/live.events.js';
import { handshake } from '../support/live-socket.js';
import { eventually, postJson, startTestSystem, tokenFor, type TestSystem } from '../support/test-system.js';

/** What a dashboard client sees: the newest complete state, from the snapshot and then each update. */
class LiveClient {
  state: LiveState | undefined;
  snapshot: LiveSnapshot | undefined;
  snapshotTotal = 0;
  updates = 0;
  private readonly socket: Socket;

  constructor(gatewayUrl: string, site: string, token: string) {
    this.socket = io(`${gatewayUrl}/live`, { auth: { site, token }, transports: ['websocket'], reconnection: false });
    this.socket.on('snapshot', (s: LiveSnapshot) => {
      this.state = s;
      this.snapshot = s;
      this.snapshotTotal = s.todayPageviews;
    });
    this.socket.on('update', (s: LiveState) => {
      this.updates += 1;
      this.state = s;
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('snapshot', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  total(): number {
    return this.state?.todayPageviews ?? 0;
  }

  /** Page views in the per-second windows of the last minute. */
  lastMinute(): number {
    return (this.state?.seconds ?? []).reduce((sum, w) => sum + w.pageviews, 0);
  }

  close(): void {
    this.socket.close();
  }
}

describe('a pageview travels from the collect endpoint to the live view and the history API', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('counts exactly N pageviews per site on the socket and in ClickHouse', async () => {
    const sites = { alpha: 37, beta: 23 };
    const clients = Object.fromEntries(await Promise.all(Object.keys(sites).map(async (site) => [site, new LiveClient(system.gatewayUrl, site, await tokenFor(system, site))] as const)));
    await Promise.all(Object.values(clients).map((c) => c.connected()));

    const posts: Promise<{ status: number }>[] = [];
    for (const [site, n] of Object.entries(sites)) {
      for (let i = 0; i < n; i++) posts.push(postJson(`${system.ingestUrl}/api/collect`, { site, url: `https://${site}.example/page/${i % 5}` }));
    }
    const answers = await Promise.all(posts);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));

    for (const [site, n] of Object.entries(sites)) {
      const client = clients[site]!;
      await eventually(() => (client.total() === n ? true : undefined), 20_000, `${site} live total ${n} (now ${client.total()})`);
      expect(client.updates).toBeGreaterThan(0);
      expect(client.lastMinute()).toBe(n);
      // the live view leads storage by up to one flush interval
      await eventually(async () => {
        const res = await fetch(`${system.gatewayUrl}/api/sites/${site}/pageviews`, { headers: { Authorization: `Bearer ${await tokenFor(system, site)}` } });
        const body = (await res.json()) as { pageviews: number };
        return res.status === 200 && body.pageviews === n ? true : undefined;
      }, 10_000, `${site}: ${n} stored pageviews`);
    }
    // the counts stay exact: nothing arrives late or twice after the totals were reached
    await new Promise((r) => setTimeout(r, 1500));
    expect(clients['alpha']!.total()).toBe(sites.alpha);
    expect(clients['beta']!.total()).toBe(sites.beta);
    for (const c of Object.values(clients)) c.close();
  });

  it('gives a late joiner a snapshot holding what it missed: totals, per second and minute, top pages', async () => {
    const client = new LiveClient(system.gatewayUrl, 'alpha', await tokenFor(system, 'alpha'));
    await client.connected();
    expect(client.snapshotTotal).toBe(37);
    expect(client.total()).toBe(37);
    const snapshot = client.snapshot!;
    expect(snapshot.today).toMatchObject({ pageviews: 37, customEvents: 0 });
    expect(snapshot.minutes.reduce((sum, m) => sum + m.pageviews, 0)).toBe(37);
    // 37 page views over /page/0../page/4: 8, 8, 7, 7, 7
    expect(snapshot.top['page']).toEqual([
      { value: '/page/0', count: 8 },
      { value: '/page/1', count: 8 },
      { value: '/page/2', count: 7 },
      { value: '/page/3', count: 7 },
      { value: '/page/4', count: 7 },
    ]);
    client.close();
  });

  it('refuses a socket without the right dashboard token with connect_error "unauthorized", and never sends site A to a token of site B', async () => {
    const refused = (auth: Record<string, string>) => handshake(system.gatewayUrl, auth);
    expect(await refused({ site: 'alpha' })).toBe('unauthorized');
    expect(await refused({ site: 'alpha', token: 'not-a-token' })).toBe('unauthorized');
    expect(await refused({ site: 'alpha', token: await tokenFor(system, 'beta') })).toBe('unauthorized');
    expect(await refused({ site: 'alpha', token: await tokenFor(system, 'alpha') })).toBe('accepted');
    expect(await refused({ site: 'beta', token: system.admin.token })).toBe('accepted');
    const history = await fetch(`${system.gatewayUrl}/api/sites/alpha/pageviews`, { headers: { Authorization: `Bearer ${await tokenFor(system, 'beta')}` } });
    expect(history.status).toBe(401);
    expect(await history.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('refuses a socket without a valid site with a connect_error naming the field', async () => {
    const socket = io(`${system.gatewayUrl}/live`, { auth: { site: '<script>' }, transports: ['websocket'], reconnection: false });
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    expect(error.message).toMatch(/^site: /);
    socket.close();
  });

  it('answers 400 naming the field for bad events and bad history parameters', async () => {
    const missing = await postJson(`${system.ingestUrl}/api/collect`, { url: 'https://x.example/' });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_event', field: 'site', detail: 'required' } });
    const badUrl = await postJson(`${system.ingestUrl}/api/collect`, { site: 'alpha', url: 'javascript:alert(1)' });
    expect(badUrl).toMatchObject({ status: 400, body: { field: 'url' } });
    const notJson = await postJson(`${system.ingestUrl}/api/collect`, '{"site":', 'text/plain');
    expect(notJson).toMatchObject({ status: 400, body: { error: 'invalid_json', field: 'body' } });
    const extra = await postJson(`${system.ingestUrl}/api/collect`, { site: 'alpha', url: 'https://x.example/', colour: 'red' });
    expect(extra).toMatchObject({ status: 400, body: { field: 'colour', detail: 'unknown field' } });
    const history = await fetch(`${system.gatewayUrl}/api/sites/alpha/pageviews?from=yesterday`, { headers: { Authorization: `Bearer ${await tokenFor(system, 'alpha')}` } });
    expect(history.status).toBe(400);
    expect(await history.json()).toMatchObject({ field: 'from' });
  });

  it('sends a record it cannot decode to the dead-letter topic with the reason, and keeps counting', async () => {
    const { topics } = system.config.kafka;
    const kafka = new Kafka({ clientId: 'dlq-check', brokers: system.config.kafka.brokers!, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.events, acks: -1, messages: [{ key: 'gamma', value: '{"v":1,"site":"gamma"' }] });
    await producer.disconnect();
    const ok = await postJson(`${system.ingestUrl}/api/collect`, { site: 'gamma', url: 'https://gamma.example/' });
    expect(ok.status).toBe(202);

    const consumer = kafka.consumer({ groupId: `dlq-check-${Date.now()}` });
    const letters: Record<string, unknown>[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: topics.deadLetter, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void letters.push(JSON.parse(message.value!.toString()) as Record<string, unknown>) });
    try {
      const fromAggregator = () => letters.filter((l) => l['source'] === 'aggregator');
      await eventually(() => (fromAggregator().length > 0 ? true : undefined), 20_000, 'a dead letter from the aggregator');
      expect(fromAggregator()[0]).toMatchObject({ source: 'aggregator', topic: topics.events, reason: 'undecodable event: not JSON', payload: '{"v":1,"site":"gamma"' });
      await eventually(async () => {
        const body = (await (await fetch(`${system.gatewayUrl}/api/sites/gamma/pageviews`, { headers: { Authorization: `Bearer ${await tokenFor(system, 'gamma')}` } })).json()) as { pageviews: number };
        return body.pageviews === 1 ? true : undefined;
      }, 20_000, 'the good gamma event counted once');
    } finally {
      await consumer.disconnect();
    }
  });
});
