import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITE_ALIAS_RULE } from '@clickstream/platform';
import { readTopic, type ReadMessage } from '../support/kafka-reader.js';
import { clickstreamEnv, startTestSystem, type TestSystem } from '../support/test-system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'dist/apps/cli/src/main.js';

/** The built CLI run with only the given environment (asynchronous: the gateway lives in this process). */
function clickstream(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The latest record of each key, as compaction keeps it: null for a removed one. */
function latest(messages: ReadMessage[]): Map<string, string | null> {
  const byKey = new Map<string, string | null>();
  for (const m of messages) if (m.key !== null) byKey.set(m.key, m.text);
  return byKey;
}

describe('site aliases through the admin API and the command line', () => {
  let system: TestSystem;
  const UUID = 'A1B2C3D4-0000-4000-8000-00000000ABCD';
  const admin = (): Record<string, string> => ({ Authorization: `Bearer ${system.admin.token}`, 'Content-Type': 'application/json' });
  const addAlias = (site: string, body: unknown): Promise<Response> =>
    fetch(`${system.gatewayUrl}/api/sites/${site}/aliases`, { method: 'POST', headers: admin(), body: typeof body === 'string' ? body : JSON.stringify(body) });
  const aliasesOf = async (site: string): Promise<unknown> => (await fetch(`${system.gatewayUrl}/api/sites/${site}/aliases`, { headers: admin() })).json();
  const removeAlias = (site: string, alias: string): Promise<Response> => fetch(`${system.gatewayUrl}/api/sites/${site}/aliases/${encodeURIComponent(alias)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${system.admin.token}` } });
  const sitesTopic = (done: (m: ReadMessage[]) => boolean): Promise<ReadMessage[]> => readTopic(system.config.kafka.brokers!, system.config.kafka.topics.sites, done);

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('adds a Plausible domain and an Umami website id to a site, lower-cased, once each, and writes them to the sites topic', async () => {
    const domain = await addAlias('shop', { alias: 'Shop.Example.COM' });
    expect(domain.status).toBe(201);
    expect(await domain.json()).toEqual({ site: 'shop', alias: 'shop.example.com', kind: 'plausible' });
    const umami = await addAlias('shop', { alias: UUID });
    expect(umami.status).toBe(201);
    expect(await umami.json()).toEqual({ site: 'shop', alias: UUID.toLowerCase(), kind: 'umami' });
    // the same alias again, however written: 200, nothing more written
    const again = await addAlias('shop', { alias: ' shop.example.com' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ site: 'shop', alias: 'shop.example.com', kind: 'plausible' });

    const expected = [
      { alias: UUID.toLowerCase(), kind: 'umami' },
      { alias: 'shop.example.com', kind: 'plausible' },
    ].sort((a, b) => (a.alias < b.alias ? -1 : 1));
    expect(await aliasesOf('shop')).toEqual({ site: 'shop', aliases: expected });
    expect(await aliasesOf('alpha')).toEqual({ site: 'alpha', aliases: [] });
    const listed = (await (await fetch(`${system.gatewayUrl}/api/sites`, { headers: admin() })).json()) as { sites: { id: string; aliases: string[] }[] };
    expect(listed.sites.find((s) => s.id === 'shop')?.aliases).toEqual(expected.map((a) => a.alias));
    expect(listed.sites.find((s) => s.id === 'alpha')?.aliases).toEqual([]);

    const aliasKeys = (m: ReadMessage[]): ReadMessage[] => m.filter((r) => r.key?.startsWith('alias:'));
    const records = await sitesTopic((m) => aliasKeys(m).length >= 2);
    expect(aliasKeys(records).map((r) => [r.key, r.value]).sort()).toEqual(
      [
        ['alias:shop.example.com', { site: 'shop' }],
        [`alias:${UUID.toLowerCase()}`, { site: 'shop' }],
      ].sort(),
    );
  });

  it('refuses an alias of another site (409), an unknown site (404), a bad alias or body (400), each naming the field', async () => {
    await addAlias('beta', { alias: 'beta.example' });

    const taken = await addAlias('alpha', { alias: 'BETA.example' });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({ error: 'conflict', field: 'alias' });
    // an alias spelled like another site's id would take that site's tracker hits
    const siteName = await addAlias('alpha', { alias: 'gamma' });
    expect(siteName.status).toBe(409);
    expect(await siteName.json()).toMatchObject({ error: 'conflict', field: 'alias' });
    // and a new site spelled like another site's alias would get none
    const hidden = await fetch(`${system.gatewayUrl}/api/sites`, { method: 'POST', headers: admin(), body: JSON.stringify({ id: 'beta.example' }) });
    expect(hidden.status).toBe(409);
    expect(await hidden.json()).toMatchObject({ error: 'conflict', field: 'id' });

    const unknown = await addAlias('nowhere', { alias: 'nowhere.example' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found', field: 'site' });
    expect((await fetch(`${system.gatewayUrl}/api/sites/nowhere/aliases`, { headers: admin() })).status).toBe(404);

    for (const alias of ['https://example.com/', 'example.com:8080', 'exa mple.com', '', 'a'.repeat(64) + '.example']) {
      const bad = await addAlias('alpha', { alias });
      expect(bad.status, alias).toBe(400);
      expect(await bad.json()).toEqual({ error: 'invalid_parameter', field: 'alias', detail: SITE_ALIAS_RULE });
    }
    for (const body of ['', '{"alias":', '[]']) {
      const bad = await addAlias('alpha', body);
      expect(bad.status, body).toBe(400);
      expect(await bad.json()).toMatchObject({ field: 'body' });
    }
    const missing = await fetch(`${system.gatewayUrl}/api/sites/alpha/aliases`, { method: 'POST', headers: { Authorization: `Bearer ${system.admin.token}` } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ field: 'body' });
    expect((await addAlias('alpha', {})).status).toBe(400);
    expect((await fetch(`${system.gatewayUrl}/api/sites/alpha/aliases`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"alias":"a.example"}' })).status).toBe(401);

    // none of the refused ones reached the topic; beta's alias is still beta's
    expect(await aliasesOf('alpha')).toEqual({ site: 'alpha', aliases: [] });
    expect(await aliasesOf('beta')).toEqual({ site: 'beta', aliases: [{ alias: 'beta.example', kind: 'plausible' }] });
  });

  it("removes an alias (204, a tombstone in the topic), and 404s one the site does not hold", async () => {
    expect((await addAlias('gamma', { alias: 'gone.example' })).status).toBe(201);
    expect((await removeAlias('alpha', 'gone.example')).status).toBe(404);
    const removed = await removeAlias('gamma', 'GONE.example');
    expect(removed.status).toBe(204);
    const again = await removeAlias('gamma', 'gone.example');
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: 'not_found', field: 'alias' });
    expect((await removeAlias('nowhere', 'gone.example')).status).toBe(404);
    expect((await removeAlias('gamma', 'not an alias')).status).toBe(400);
    expect(await aliasesOf('gamma')).toEqual({ site: 'gamma', aliases: [] });

    const records = await sitesTopic((m) => m.filter((r) => r.key === 'alias:gone.example').length >= 2);
    expect(latest(records).get('alias:gone.example')).toBeNull();
    // free again: another site may take it
    expect((await addAlias('alpha', { alias: 'gone.example' })).status).toBe(201);
  });

  it('adds, lists and removes aliases with clickstream sites alias, saying plainly what is wrong', async () => {
    const env = clickstreamEnv(system);
    const added = await clickstream(['sites', 'alias', 'add', 'demo', 'Demo.Example'], env);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('demo.example (Plausible domain) now counts into site demo\n');
    const umami = await clickstream(['sites', 'alias', 'add', 'demo', UUID.replace('A1B2', 'B1B2')], env);
    expect(umami.stdout).toBe(`${UUID.replace('A1B2', 'B1B2').toLowerCase()} (Umami website id) now counts into site demo\n`);

    const list = await clickstream(['sites', 'alias', 'list', 'demo'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ALIAS +KIND$/m);
    expect(list.stdout).toMatch(/^demo\.example +Plausible domain$/m);
    expect(list.stdout).toMatch(new RegExp(`^${UUID.replace('A1B2', 'B1B2').toLowerCase()} +Umami website id$`, 'm'));
    expect(await aliasesOf('demo')).toMatchObject({ aliases: expect.arrayContaining([{ alias: 'demo.example', kind: 'plausible' }]) });

    const removed = await clickstream(['sites', 'alias', 'remove', 'demo', 'demo.example'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('alias demo.example of site demo removed\n');
    expect((await clickstream(['sites', 'alias', 'list', 'demo'], env)).stdout).not.toContain('demo.example');

    const refused = await Promise.all([
      clickstream(['sites', 'alias', 'add', 'alpha', 'shop.example.com'], env),
      clickstream(['sites', 'alias', 'add', 'nowhere', 'x.example'], env),
      clickstream(['sites', 'alias', 'add', 'alpha', 'http://x.example/'], env),
      clickstream(['sites', 'alias', 'remove', 'demo', 'demo.example'], env),
      clickstream(['sites', 'alias', 'add', 'alpha'], env),
    ]);
    for (const run of refused) expect(run.code).toBe(1);
    expect(refused.map((r) => r.stderr)).toEqual([
      'clickstream: alias: shop.example.com is an alias of site shop already\n',
      'clickstream: site: no site nowhere\n',
      `clickstream: alias: ${SITE_ALIAS_RULE}\n`,
      'clickstream: alias: site demo has no alias demo.example\n',
      'clickstream: sites alias add: which site and alias? (e.g. clickstream sites alias add blog example.com)\n',
    ]);
    const help = await clickstream(['sites', '--help'], env);
    expect(help.stdout).toContain('clickstream sites alias add <site> <alias>');
  });
});
