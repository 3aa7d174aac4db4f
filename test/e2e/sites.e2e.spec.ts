import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake } from '../support/live-socket.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { eventually, postJson, startTestSystem, storedPageviews, type TestSystem } from '../support/test-system.js';

describe('the sites admin API and dashboard tokens', () => {
  let system: TestSystem;
  const admin = (token = system.admin.token) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('creates a site with the admin token: its id, the snippet to paste and a tokened dashboard link', async () => {
    const res = await fetch(`${system.gatewayUrl}/api/sites`, { method: 'POST', headers: admin(), body: JSON.stringify({ id: 'blog', name: 'My blog' }) });
    expect(res.status).toBe(201);
    const site = (await res.json()) as { id: string; name: string; token: string; snippet: string; dashboardUrl: string };
    expect(site).toMatchObject({ id: 'blog', name: 'My blog' });
    expect(site.snippet).toContain(`data-site="blog"`);
    expect(site.snippet).toContain(`${system.ingestUrl}/script.js`);
    const link = new URL(site.dashboardUrl);
    expect([link.searchParams.get('site'), link.searchParams.get('token')]).toEqual(['blog', site.token]);

    const list = (await (await fetch(`${system.gatewayUrl}/api/sites`, { headers: admin() })).json()) as { sites: { id: string; name: string }[] };
    expect(list.sites.find((s) => s.id === 'blog')).toMatchObject({ name: 'My blog' });

    // the new site takes events, and its token reads it
    await eventually(async () => ((await postJson(`${system.ingestUrl}/api/collect`, { site: 'blog', url: 'https://blog.example/' })).status === 202 ? true : undefined), 10_000, 'blog accepted by ingest');
    await eventually(async () => ((await storedPageviews(system, 'blog')) === 1 ? true : undefined), 20_000, 'the blog page view stored');
    expect(await handshake(system.gatewayUrl, { site: 'blog', token: site.token })).toBe('accepted');
    expect(await handshake(system.gatewayUrl, { site: 'shop', token: site.token })).toBe('unauthorized');
  });

  it('refuses the admin API without the admin token, and bad or duplicate sites naming the field', async () => {
    expect((await fetch(`${system.gatewayUrl}/api/sites`)).status).toBe(401);
    const wrong = await fetch(`${system.gatewayUrl}/api/sites`, { headers: admin('admin_wrong_token_1234567890') });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized' });
    const siteToken = new URL(await system.dashboardUrl('shop')).searchParams.get('token')!;
    expect((await fetch(`${system.gatewayUrl}/api/sites`, { headers: admin(siteToken) })).status).toBe(401);

    const post = (body: unknown) => fetch(`${system.gatewayUrl}/api/sites`, { method: 'POST', headers: admin(), body: JSON.stringify(body) });
    const bad = await post({ id: '<b>' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_parameter', field: 'id' });
    const extra = await post({ id: 'x1', colour: 'red' });
    expect(extra.status).toBe(400);
    const duplicate = await post({ id: 'shop' });
    expect(duplicate.status).toBe(409);
    expect(await duplicate.json()).toMatchObject({ error: 'conflict', field: 'id' });
  });

  it('rotates a dashboard token: the old one stops working, the new one works', async () => {
    const old = new URL(await system.dashboardUrl('shop')).searchParams.get('token')!;
    expect(await handshake(system.gatewayUrl, { site: 'shop', token: old })).toBe('accepted');
    const res = await fetch(`${system.gatewayUrl}/api/sites/shop/rotate-token`, { method: 'POST', headers: { Authorization: `Bearer ${system.admin.token}` } });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { token: string };
    expect(rotated.token).not.toBe(old);
    expect(await handshake(system.gatewayUrl, { site: 'shop', token: old })).toBe('unauthorized');
    expect(await handshake(system.gatewayUrl, { site: 'shop', token: rotated.token })).toBe('accepted');
    expect((await fetch(`${system.gatewayUrl}/api/sites/nowhere/rotate-token`, { method: 'POST', headers: { Authorization: `Bearer ${system.admin.token}` } })).status).toBe(404);
  });

  it('reports consumer lag and dead letters to a dashboard token of any site, and to nobody else', async () => {
    const token = new URL(await system.dashboardUrl('alpha')).searchParams.get('token')!;
    // once the aggregator committed the end of the events topic, nothing is left to read
    const { kafka } = system.config;
    await waitForCommittedEnd(kafka.brokers!.join(','), kafka.topics.events, kafka.consumerGroup, 30_000);
    const ops = await fetch(`${system.gatewayUrl}/api/ops?site=alpha`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ops.status).toBe(200);
    const report = (await ops.json()) as { consumerLag: number; partitions: { partition: number; lag: number }[]; deadLetters: number };
    expect(report.partitions.map((p) => p.partition)).toEqual(Array.from({ length: kafka.partitions.events }, (_, i) => i));
    expect(report.consumerLag).toBe(0);
    expect((await postJson(`${system.ingestUrl}/api/collect`, { site: 'alpha' })).status).toBe(400);
    await eventually(async () => {
      const r = (await (await fetch(`${system.gatewayUrl}/api/ops?site=alpha`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { deadLetters: number };
      return r.deadLetters >= 1 ? true : undefined;
    }, 10_000, 'the refused event counted as a dead letter');
    expect((await fetch(`${system.gatewayUrl}/api/ops?site=alpha`)).status).toBe(401);
    expect((await fetch(`${system.gatewayUrl}/api/ops?site=beta`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
