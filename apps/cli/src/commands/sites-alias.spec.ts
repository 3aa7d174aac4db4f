import { describe, expect, it } from 'vitest';
import { GatewayClient, type Fetch } from '../gateway-client.js';
import { runSitesAlias } from './sites-alias.js';

interface Seen {
  method?: string;
  url?: string;
  body?: unknown;
}

/** A gateway that answers every request with `status` and `body`, recording the request. */
function gateway(status: number, body: unknown, seen: Seen = {}): GatewayClient {
  const fetchFn = (async (url: string, init?: RequestInit) => {
    seen.method = init?.method;
    seen.url = url;
    seen.body = init?.body === undefined ? undefined : JSON.parse(String(init.body));
    return new Response(status === 204 ? null : JSON.stringify(body), { status });
  }) as Fetch;
  return new GatewayClient('http://gw', 'admin_0123456789abcdef', fetchFn);
}

async function run(args: string[], client: GatewayClient): Promise<string> {
  let text = '';
  await runSitesAlias(args, client, { write: (t: string) => (text += t) });
  return text;
}

describe('clickstream sites alias', () => {
  it('adds an alias with a POST naming it, and says what it counts into', async () => {
    const seen: Seen = {};
    const out = await run(['add', 'blog', 'Example.com'], gateway(201, { site: 'blog', alias: 'example.com', kind: 'plausible' }, seen));
    expect(seen).toEqual({ method: 'POST', url: 'http://gw/api/sites/blog/aliases', body: { alias: 'Example.com' } });
    expect(out).toBe('example.com (Plausible domain) now counts into site blog\n');
  });

  it('removes an alias with a DELETE of its escaped path', async () => {
    const seen: Seen = {};
    const out = await run(['remove', 'blog', 'a/b'], gateway(204, undefined, seen));
    expect([seen.method, seen.url]).toEqual(['DELETE', 'http://gw/api/sites/blog/aliases/a%2Fb']);
    expect(out).toBe('alias a/b of site blog removed\n');
  });

  it("lists a site's aliases with their kind, or says it has none", async () => {
    const uuid = '5a0b6c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d';
    const out = await run(['list', 'blog'], gateway(200, { site: 'blog', aliases: [{ alias: 'example.com', kind: 'plausible' }, { alias: uuid, kind: 'umami' }] }));
    expect(out.split('\n')[0]).toMatch(/^ALIAS +KIND$/);
    expect(out).toMatch(/^example\.com +Plausible domain$/m);
    expect(out).toMatch(new RegExp(`^${uuid} +Umami website id$`, 'm'));
    expect(await run(['list', 'blog'], gateway(200, { site: 'blog', aliases: [] }))).toBe('no aliases for blog yet (clickstream sites alias add blog example.com)\n');
  });

  it("shows the gateway's refusal as field: detail", async () => {
    await expect(run(['add', 'shop', 'example.com'], gateway(409, { error: 'conflict', field: 'alias', detail: 'example.com is an alias of site blog already' }))).rejects.toThrow(
      /^alias: example\.com is an alias of site blog already$/,
    );
    await expect(run(['add', 'nowhere', 'example.com'], gateway(404, { error: 'not_found', field: 'site', detail: 'no site nowhere' }))).rejects.toThrow(/^site: no site nowhere$/);
  });

  it('refuses a missing subcommand, site or alias, and extra words, before asking the gateway', async () => {
    const untouched = gateway(500, {});
    await expect(run([], untouched)).rejects.toThrow(/^sites alias: expected add, remove or list/);
    await expect(run(['rename', 'blog'], untouched)).rejects.toThrow(/^sites alias: unknown subcommand "rename"/);
    await expect(run(['add', 'blog'], untouched)).rejects.toThrow(/^sites alias add: which site and alias\?/);
    await expect(run(['list'], untouched)).rejects.toThrow(/^sites alias list: which site\?/);
    await expect(run(['remove', 'blog', 'a.example', 'b.example'], untouched)).rejects.toThrow(/^sites alias remove: unexpected argument "b.example"/);
  });
});
