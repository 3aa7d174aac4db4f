import { describe, expect, it } from 'vitest';
import { GatewayClient, type Fetch } from './gateway-client.js';

const site = { id: 'blog', name: 'My blog', createdAt: '2026-11-25 07:41:02.123', dashboardUrl: 'http://gw/?site=blog&token=t1' };

/** A fetch that records the request and answers with `status` and `body`. */
function fakeFetch(status: number, body: unknown, seen: { url?: string; init?: RequestInit } = {}): Fetch {
  return (async (url: string, init?: RequestInit) => {
    seen.url = url;
    seen.init = init;
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  }) as Fetch;
}

describe('GatewayClient', () => {
  it('sends the admin token and reads the created site', async () => {
    const seen: { url?: string; init?: RequestInit } = {};
    const client = new GatewayClient('http://gw', 'admin_0123456789abcdef', fakeFetch(201, { ...site, token: 't1', snippet: '<script…>' }, seen));
    await expect(client.addSite('blog', 'My blog')).resolves.toMatchObject({ id: 'blog', token: 't1' });
    expect(seen.url).toBe('http://gw/api/sites');
    expect(new Headers(seen.init?.headers).get('authorization')).toBe('Bearer admin_0123456789abcdef');
    expect(JSON.parse(String(seen.init?.body))).toEqual({ id: 'blog', name: 'My blog' });
  });

  it("turns the gateway's error body into field: detail", async () => {
    const client = new GatewayClient('http://gw', 'admin_0123456789abcdef', fakeFetch(409, { error: 'conflict', field: 'id', detail: 'site blog exists already' }));
    await expect(client.addSite('blog', undefined)).rejects.toThrow(/^id: site blog exists already$/);
  });

  it('says the admin token was refused, and that none is set', async () => {
    const refused = new GatewayClient('http://gw', 'wrong-token-wrong-token', fakeFetch(401, { error: 'unauthorized', detail: 'the admin token is required' }));
    await expect(refused.listSites()).rejects.toThrow(/^the gateway refused the admin token/);
    await expect(new GatewayClient('http://gw', undefined, fakeFetch(200, {})).listSites()).rejects.toThrow(/^no admin token: set ADMIN_TOKEN or pass --admin-token/);
  });

  it('says where it looked when the gateway cannot be reached or is not a gateway', async () => {
    const down = new GatewayClient('http://127.0.0.1:1', 'admin_0123456789abcdef', (async () => {
      throw new TypeError('fetch failed');
    }) as Fetch);
    await expect(down.listSites()).rejects.toThrow('gateway unreachable at http://127.0.0.1:1 (is Clickstream running? set PUBLIC_GATEWAY_URL or GATEWAY_PORT)');
    await expect(new GatewayClient('http://gw', 'admin_0123456789abcdef', fakeFetch(200, '<html>')).listSites()).rejects.toThrow(/^unexpected answer from the gateway/);
  });

  it('escapes the site id in the rotate-token path', async () => {
    const seen: { url?: string } = {};
    await new GatewayClient('http://gw', 'admin_0123456789abcdef', fakeFetch(200, { ...site, token: 't2', snippet: 's' }, seen)).rotateToken('a/b');
    expect(seen.url).toBe('http://gw/api/sites/a%2Fb/rotate-token');
  });
});
