import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';
import { dashboardToken } from '../../apps/gateway/src/auth/access-tokens.js';
import { readTopic } from '../support/kafka-reader.js';
import { handshake } from '../support/live-socket.js';
import { ownClickHouseEnv } from '../support/own-clickhouse.js';
import { BROWSER_UA, eventually, ownKafkaEnv, postJson, startTestSystem, tokenFor, type TestSystem } from '../support/test-system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Near misses of a good token: one character short or long, another case, a prefix. */
const nearMisses = (token: string): string[] => [token.slice(0, -1), `${token}A`, token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase(), token.slice(0, 8), ` ${token}x`];

describe('access to the dashboard data and the admin API', () => {
  let system: TestSystem;
  const gateway = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${system.gatewayUrl}${path}`, init);
  const bearer = (token: string): RequestInit => ({ headers: { Authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    system = await startTestSystem();
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('creates sites and rotates tokens for the admin token only: no token, a wrong one, or a dashboard token changes nothing', async () => {
    const alpha = await tokenFor(system, 'alpha');
    const refusedTokens = [undefined, 'admin_not-the-right-token-1234567890', alpha, ...nearMisses(system.admin.token)];
    for (const token of refusedTokens) {
      const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
      const create = await gateway('/api/sites', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'intruder' }) });
      expect({ token, status: create.status, body: await create.json() }).toMatchObject({ token, status: 401, body: { error: 'unauthorized' } });
      const rotate = await gateway('/api/sites/alpha/rotate-token', { method: 'POST', headers });
      expect({ token, status: rotate.status }).toEqual({ token, status: 401 });
    }
    // nor does a dashboard token given as a share link
    expect((await gateway(`/api/sites?token=${encodeURIComponent(alpha)}`)).status).toBe(401);

    const sites = (await (await gateway('/api/sites', bearer(system.admin.token))).json()) as { sites: { id: string }[] };
    expect(sites.sites.map((s) => s.id)).not.toContain('intruder');
    // nothing was rotated: alpha's token still reads alpha
    expect(await tokenFor(system, 'alpha')).toBe(alpha);
    expect(await handshake(system.gatewayUrl, { site: 'alpha', token: alpha })).toBe('accepted');
    expect((await gateway('/api/sites/alpha/totals', bearer(alpha))).status).toBe(200);
  });

  it('reports operations to the admin token, or to a dashboard token for its own site only', async () => {
    const alpha = await tokenFor(system, 'alpha');
    expect((await gateway('/api/ops', bearer(system.admin.token))).status).toBe(200);
    expect((await gateway('/api/ops?site=alpha', bearer(alpha))).status).toBe(200);
    const refused = [
      gateway('/api/ops', bearer(alpha)), // a dashboard token without its site
      gateway('/api/ops?site=beta', bearer(alpha)),
      gateway(`/api/ops?site=beta&token=${encodeURIComponent(alpha)}`),
      gateway('/api/ops?site=alpha', bearer('not-a-token')),
      ...nearMisses(alpha).map((t) => gateway('/api/ops?site=alpha', bearer(t))),
      ...nearMisses(system.admin.token).map((t) => gateway('/api/ops', bearer(t))),
    ];
    for (const res of await Promise.all(refused)) {
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('takes a share link token (?token=) for its own site only, and no near miss of it', async () => {
    const alpha = await tokenFor(system, 'alpha');
    const beta = await tokenFor(system, 'beta');
    expect((await gateway(`/api/sites/alpha/totals?token=${encodeURIComponent(alpha)}`)).status).toBe(200);
    expect((await gateway(`/api/sites/alpha/totals?token=${encodeURIComponent(beta)}`)).status).toBe(401);
    for (const miss of nearMisses(alpha)) {
      expect((await gateway(`/api/sites/alpha/totals?token=${encodeURIComponent(miss)}`)).status, miss).toBe(401);
      expect((await gateway('/api/sites/alpha/breakdown?dimension=page', bearer(miss))).status, miss).toBe(401);
    }
  });

  it('refuses a socket with another site\'s token in the query string, a near miss, or a token of a site that does not exist', async () => {
    const alpha = await tokenFor(system, 'alpha');
    const beta = await tokenFor(system, 'beta');
    expect(await handshake(system.gatewayUrl, { site: 'alpha', token: alpha }, 'query')).toBe('accepted');
    expect(await handshake(system.gatewayUrl, { site: 'alpha', token: beta }, 'query')).toBe('unauthorized');
    expect(await handshake(system.gatewayUrl, { site: 'alpha' }, 'query')).toBe('unauthorized');
    for (const miss of [...nearMisses(alpha), ...nearMisses(system.admin.token)]) {
      expect(await handshake(system.gatewayUrl, { site: 'alpha', token: miss }), miss).toBe('unauthorized');
    }
    expect(await handshake(system.gatewayUrl, { site: 'nosuchsite', token: alpha })).toBe('unauthorized');
  });

  it('stores strings carrying SQL verbatim, and the history API returns them verbatim', async () => {
    const drop = "'); DROP TABLE events_raw; --";
    const orTrue = "\\' OR 1=1 --";
    const url = `https://shop.example/${drop}?utm_source=${encodeURIComponent(orTrue)}&utm_campaign=${encodeURIComponent(drop)}`;
    const sent = [
      { site: 'gamma', url, title: drop, referrer: `https://ref.example/?q=${orTrue}`, id: 'sql-pageview-1' },
      { type: 'event', site: 'gamma', url, name: drop, props: { note: orTrue, sql: drop }, title: orTrue, referrer: orTrue, id: 'sql-event-1' },
      { type: 'event', site: 'gamma', url: 'https://shop.example/plain', name: orTrue, id: 'sql-event-2' },
    ];
    const answer = await postJson(`${system.ingestUrl}/api/collect`, sent);
    expect(answer.status).toBe(202);
    expect(answer.body['accepted']).toBe(3);

    const db = system.config.clickhouse.database;
    type Row = { client_event_id: string; url: string; path: string; title: string | null; referrer: string | null; name: string; props: Record<string, string>; utm_source: string | null; utm_campaign: string | null };
    const rows = await eventually(async () => {
      const stored = await (
        await system.clickhouse.query({
          query: `SELECT client_event_id, url, path, title, referrer, name, props, utm_source, utm_campaign FROM ${db}.events_raw WHERE site = {site:String} ORDER BY client_event_id`,
          query_params: { site: 'gamma' },
          format: 'JSONEachRow',
        })
      ).json<Row>();
      return stored.length === 3 ? stored : undefined;
    }, 20_000, 'the three gamma events stored');
    expect(rows).toEqual([
      { client_event_id: 'sql-event-1', url, path: new URL(url).pathname, title: orTrue, referrer: orTrue, name: drop, props: { note: orTrue, sql: drop }, utm_source: orTrue, utm_campaign: drop },
      { client_event_id: 'sql-event-2', url: 'https://shop.example/plain', path: '/plain', title: null, referrer: null, name: orTrue, props: {}, utm_source: null, utm_campaign: null },
      { client_event_id: 'sql-pageview-1', url, path: new URL(url).pathname, title: drop, referrer: `https://ref.example/?q=${orTrue}`, name: '', props: {}, utm_source: orTrue, utm_campaign: drop },
    ]);

    const token = await tokenFor(system, 'gamma');
    const breakdown = async (dimension: string): Promise<string[]> => {
      const res = await gateway(`/api/sites/gamma/breakdown?dimension=${dimension}`, bearer(token));
      expect(res.status).toBe(200);
      return ((await res.json()) as { rows: { value: string }[] }).rows.map((r) => r.value).sort();
    };
    await eventually(async () => ((await breakdown('event')).length === 2 ? true : undefined), 20_000, 'the event breakdown');
    expect(await breakdown('event')).toEqual([drop, orTrue].sort());
    expect(await breakdown('utmSource')).toEqual([orTrue]);
    expect(await breakdown('utmCampaign')).toEqual([drop]);
    expect(await breakdown('page')).toEqual([new URL(url).pathname]);
    // and the table is still there, with every row
    const [count] = await (await system.clickhouse.query({ query: `SELECT count() AS n FROM ${db}.events_raw`, format: 'JSONEachRow' })).json<{ n: number }>();
    expect(Number(count?.n)).toBeGreaterThanOrEqual(3);

    // SQL in a query parameter or the site of the path is refused before any query
    for (const path of [`/api/sites/gamma/breakdown?dimension=${encodeURIComponent(drop)}`, `/api/sites/gamma/breakdown?dimension=page&limit=${encodeURIComponent('1; DROP TABLE events_raw')}`]) {
      const res = await gateway(path, bearer(token));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_parameter' });
    }
    const site = await gateway(`/api/sites/${encodeURIComponent(drop)}/totals`, bearer(system.admin.token));
    expect(site.status).toBe(400);
  });
});

/** The built all-in-one app as its own process, every line it writes kept. */
function runStandalone(env: Record<string, string>): { output: () => string; exited: Promise<number | null>; stop: () => void } {
  const child = spawn(process.execPath, ['dist/apps/standalone/src/main.js'], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), stop: () => child.kill('SIGTERM') };
}

/** The secrets the system stored, read straight from the ClickHouse database `env` names, and the salts, read from its salts topic. */
async function readSecrets(env: Record<string, string>): Promise<{ secrets: { name: string; value: string }[]; salts: { day: string; salt: string }[] }> {
  const { clickhouse, kafka } = loadConfig(env);
  const client = createClickHouseClient(clickhouse);
  try {
    const rows = async <T>(query: string): Promise<T[]> => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
    const saltRecords = await readTopic(kafka.brokers!, kafka.topics.salts, (ms) => ms.length >= 1, { settleMs: 500 });
    return {
      secrets: await rows(`SELECT name, value FROM ${clickhouse.database}.secrets`),
      salts: saltRecords.map((r) => ({ day: r.key!, salt: r.text! })),
    };
  } finally {
    await client.close();
  }
}

describe('what the running system writes out, at debug level', () => {
  const id = randomUUID().slice(0, 8);
  const adminToken = `admin_${randomBytes(24).toString('base64url')}`;
  const env: Record<string, string> = {
    LOG_LEVEL: 'debug',
    ADMIN_TOKEN: adminToken,
    ...ownKafkaEnv(`logs-${id}`, inject('kafkaBrokers')),
    ...ownClickHouseEnv(`logs_${id}`),
    INGEST_PORT: '0',
    GATEWAY_PORT: '0',
    AGGREGATOR_PORT: '0',
    TRUST_PROXY: 'true',
    // no "demo" site: the start-up banner would print its dashboard link, token included, for the operator
    BOOTSTRAP_SITES: 'alpha,beta',
  };
  let app: ReturnType<typeof runStandalone> | undefined;
  /** Values that must never be written out, by what they are. */
  const secrets = new Map<string, string>([['the admin token', adminToken]]);
  /** The salt of each day that the system uses: the first record of that day in the salts topic. */
  const saltInUse = new Map<string, string>();
  const clientIps = ['198.51.100.23', '2001:db8:77::15', '198.51.100.99'];
  let output = '';
  let exitCode: number | null = null;

  afterAll(() => {
    app?.stop();
  });

  beforeAll(async () => {
    const run = (app = runStandalone(env));
    const line = (label: string): string | undefined => new RegExp(`${label}:\\s+(\\S+)`).exec(run.output())?.[1];
    await eventually(() => line('Collect URL'), 120_000, 'the start-up banner').catch((err: Error) => {
      throw new Error(`${err.message}:\n${run.output().slice(-2000)}`);
    });
    const ingest = new URL(line('Collect URL')!).origin;
    const gateway = new URL(line('Dashboard')!).origin;
    const admin = { Authorization: `Bearer ${adminToken}` };

    // the admin API: list (good and bad tokens), create, rotate
    const list = (await (await fetch(`${gateway}/api/sites`, { headers: admin })).json()) as { sites: { id: string; dashboardUrl: string }[] };
    for (const s of list.sites) secrets.set(`the first dashboard token of ${s.id}`, new URL(s.dashboardUrl).searchParams.get('token')!);
    expect((await fetch(`${gateway}/api/sites`, { headers: { Authorization: 'Bearer admin_wrong-but-plausible-token-0001' } })).status).toBe(401);
    secrets.set('a wrong admin token sent', 'admin_wrong-but-plausible-token-0001');
    const created = (await (await fetch(`${gateway}/api/sites`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify({ id: 'gamma' }) })).json()) as { token: string };
    secrets.set('the dashboard token of a new site', created.token);
    const rotated = (await (await fetch(`${gateway}/api/sites/alpha/rotate-token`, { method: 'POST', headers: admin })).json()) as { token: string };
    secrets.set('a rotated dashboard token', rotated.token);

    // events from known addresses, then dashboard reads with good, old, wrong and foreign tokens, by header, link and socket
    for (const [i, ip] of clientIps.entries()) {
      const res = await fetch(`${ingest}/api/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': BROWSER_UA, 'X-Forwarded-For': ip },
        body: JSON.stringify(i === 2 ? { site: 'alpha', url: 'not a url' } : { site: 'alpha', url: `https://alpha.example/${i}`, id: `log-check-${i}` }),
      });
      expect(res.status).toBe(i === 2 ? 400 : 202);
    }
    const wrongDashboardToken = randomBytes(24).toString('base64url');
    secrets.set('a wrong dashboard token sent', wrongDashboardToken);
    const reads: [string, RequestInit, number][] = [
      [`/api/sites/alpha/totals`, { headers: { Authorization: `Bearer ${rotated.token}` } }, 200],
      [`/api/sites/alpha/totals?token=${rotated.token}`, {}, 200],
      [`/api/sites/alpha/totals?token=${secrets.get('the first dashboard token of alpha')!}`, {}, 401],
      [`/api/sites/alpha/breakdown?dimension=page&token=${wrongDashboardToken}`, {}, 401],
      [`/api/sites/beta/timeseries`, { headers: { Authorization: `Bearer ${rotated.token}` } }, 401],
      [`/api/sites/alpha/totals?from=yesterday&token=${rotated.token}`, {}, 400],
      [`/api/ops?site=alpha&token=${rotated.token}`, {}, 200],
    ];
    for (const [path, init, status] of reads) expect((await fetch(`${gateway}${path}`, init)).status, path).toBe(status);
    expect(await handshake(gateway, { site: 'alpha', token: rotated.token })).toBe('accepted');
    expect(await handshake(gateway, { site: 'alpha', token: wrongDashboardToken })).toBe('unauthorized');
    expect(await handshake(gateway, { site: 'beta', token: created.token }, 'query')).toBe('unauthorized');

    // every event stored, so the aggregator has had its say in the output too
    await eventually(async () => {
      const res = await fetch(`${gateway}/api/sites/alpha/pageviews`, { headers: admin });
      return ((await res.json()) as { pageviews: number }).pageviews === 2 ? true : undefined;
    }, 30_000, 'both alpha page views stored');

    run.stop();
    exitCode = await run.exited;
    output = run.output();
    const stored = await readSecrets(env);
    for (const s of stored.secrets) secrets.set(`the stored secret "${s.name}"`, s.value);
    // two ingest processes may both propose a day's salt: each proposal is a secret, the first one written is the one in use
    for (const [i, s] of stored.salts.entries()) secrets.set(`the visitor-id salt of ${s.day} (record ${i})`, s.salt);
    for (const s of stored.salts) if (!saltInUse.has(s.day)) saltInUse.set(s.day, s.salt);
  });

  it('stops cleanly with debug lines written', () => {
    expect(exitCode).toBe(0);
    expect(output).toContain('"level":20');
    expect(output.split('\n').length).toBeGreaterThan(100);
  });

  it('reads the real secrets: the dashboard tokens are derived from the stored secret, the visitor ids from the stored salt', async () => {
    const tokenSecret = secrets.get('the stored secret "dashboard-tokens"')!;
    expect(dashboardToken(tokenSecret, 'alpha', 1)).toBe(secrets.get('a rotated dashboard token'));
    expect(dashboardToken(tokenSecret, 'gamma', 0)).toBe(secrets.get('the dashboard token of a new site'));
    const events = await readTopic(env['KAFKA_BROKERS']!.split(','), env['KAFKA_TOPIC_EVENTS']!, (ms) => ms.length >= 2, { settleMs: 0 });
    const today = [...saltInUse.values()];
    expect(today.length).toBeGreaterThan(0);
    for (const e of events) {
      const ip = clientIps[Number(String(e.value['clientEventId']).slice(-1))]!;
      const candidates = today.map((salt) => createHash('sha256').update(`${salt}\u0000alpha\u0000${ip}\u0000${BROWSER_UA}`).digest('hex').slice(0, 32));
      expect(candidates).toContain(e.value['visitorId']);
    }
  });

  it('never writes a token, the token secret, a salt or a client IP, in any log line or the banner', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(9);
    const leaked = [...secrets.entries()].filter(([, value]) => output.includes(value)).map(([what]) => what);
    expect(leaked).toEqual([]);
    for (const [what, value] of secrets) expect(value.length, what).toBeGreaterThanOrEqual(32);
    expect(clientIps.filter((ip) => output.includes(ip))).toEqual([]);
  });
});
