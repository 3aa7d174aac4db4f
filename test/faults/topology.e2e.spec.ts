import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';
import { claimPort } from '@clickstream/infra';
import { seededRandom } from '../../tools/loadgen/src/traffic.js';
import { handshake } from '../support/live-socket.js';
import { BROWSER_UA, eventually, ownKafkaEnv } from '../support/test-system.js';
import { AppProcess, waitForHttp } from './app-process.js';
import { steadyLoad } from './steady-load.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { expectExact, storedSummary } from './stored-tables.js';

/**
 * npm start's topology, run as npm start runs it: the supervisor (dist/apps/standalone) starts the
 * ClickHouse server and each app as a process of its own (two ingest workers here), on the run's
 * broker. Then real processes are killed: aggregators (three in the group) and the ClickHouse
 * server under load, a gateway with a dashboard client connected, and the supervisor itself.
 *
 * Size: TOPOLOGY_EVENTS (8,000 at 200/s by default), TOPOLOGY_SEED for the moments.
 */
const EVENTS = Number(process.env['TOPOLOGY_EVENTS'] ?? 8000);
const RATE = Number(process.env['TOPOLOGY_RATE'] ?? 200);
const SEED = Number(process.env['TOPOLOGY_SEED'] ?? Math.floor(Math.random() * 1_000_000));
const DURATION_S = Math.ceil(EVENTS / RATE);
const SITES = ['alpha', 'beta'];
const ADMIN_TOKEN = `admin-${randomUUID()}`;

/** Every process below `pid`, with its command line. */
function descendants(pid: number): { pid: number; args: string }[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; args: string }[] = [];
  const visit = (parent: number): void => {
    for (const child of children.get(parent) ?? []) {
      let args = '';
      try {
        args = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        continue;
      }
      found.push({ pid: child, args });
      visit(child);
    }
  };
  visit(pid);
  return found;
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

describe('npm start: every app its own process, the ClickHouse server started by the project, processes killed', () => {
  const id = randomUUID().slice(0, 8);
  const dir = mkdtempSync(join(tmpdir(), 'clickstream-topology-'));
  let env: Record<string, string>;
  let supervisor: AppProcess;
  const extra: AppProcess[] = [];
  let urls: { ingest: string; gateway: string; clickhouse: string };
  const acked = new Set<string>();

  const partOf = (pattern: RegExp): number[] => descendants(supervisor.pid!).filter((p) => pattern.test(p.args)).map((p) => p.pid);
  const post = (body: Record<string, unknown>): Promise<Response> =>
    fetch(`${urls.ingest}/api/collect`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': BROWSER_UA }, body: JSON.stringify(body) });

  beforeAll(async () => {
    env = {
      LOG_LEVEL: 'warn',
      ...ownKafkaEnv(`topology-${id}`, inject('kafkaBrokers')),
      CLICKHOUSE_LOCAL_PORT: '0',
      CLICKHOUSE_LOCAL_DATA_DIR: join(dir, 'clickhouse'),
      CHDB_PATH: join(dir, 'no-old-folder'),
      INGEST_PORT: '0',
      GATEWAY_PORT: '0',
      AGGREGATOR_PORT: '0',
      INGEST_PROCESSES: '2',
      // demo: the site of the banner's example
      BOOTSTRAP_SITES: [...SITES, 'demo'].join(','),
      ADMIN_TOKEN,
      TRUST_PROXY: '1',
      RATE_LIMIT_BURST: '1000000',
      RATE_LIMIT_PER_SECOND: '1000000',
    };
    supervisor = new AppProcess('supervisor', env, 'dist/apps/standalone/src/main.js');
    supervisor.start();
    const [, clickhouse] = await supervisor.waitForOutput(/ClickHouse: +(\S+)/, 180_000);
    const [, ingest] = await supervisor.waitForOutput(/Collect URL: +(\S+)\/api\/collect/, 1000);
    const [, gateway] = await supervisor.waitForOutput(/Dashboard: +(http:\/\/[^/]+)\//, 1000);
    urls = { ingest: ingest!, gateway: gateway!, clickhouse: clickhouse! };
  }, 240_000);

  afterAll(async () => {
    for (const app of extra) if (app.running) await app.stop('SIGKILL');
    if (supervisor?.running) {
      const left = descendants(supervisor.pid!);
      await supervisor.stop('SIGKILL');
      for (const p of left) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the ClickHouse server, two ingest processes, an aggregator and a gateway as processes of their own; ClickHouse answers /ping', async () => {
    const parts = descendants(supervisor.pid!);
    const count = (pattern: RegExp): number => parts.filter((p) => pattern.test(p.args)).length;
    expect({
      clickhouse: count(/ClickHouseServer\.java/),
      ingest: count(/apps\/ingest\/src\/main\.js/),
      aggregator: count(/apps\/aggregator\/src\/main\.js/),
      gateway: count(/apps\/gateway\/src\/main\.js/),
    }).toEqual({ clickhouse: 1, ingest: 2, aggregator: 1, gateway: 1 });
    const ping = await fetch(`${urls.clickhouse}/ping`);
    expect(await ping.text()).toBe('Ok.\n');
    expect(new URL(urls.clickhouse).hostname).toBe('127.0.0.1');
  });

  it('two gateways: a dashboard token rotated through one is refused by both', async () => {
    const port = await claimPort(0, 'test');
    const second = new AppProcess('gateway', { ...env, CLICKHOUSE_URL: urls.clickhouse, CLICKHOUSE_MIGRATE: 'false', GATEWAY_PORT: String(port) });
    extra.push(second);
    second.start();
    const other = `http://127.0.0.1:${port}`;
    // the gateway has no /health: its operations report answers 401 without the admin token once it listens
    await waitForHttp(`${other}/api/ops`, [200, 401], 90_000);
    const rotate = async (): Promise<string> => {
      const res = await fetch(`${urls.gateway}/api/sites/alpha/rotate-token`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { token: string }).token;
    };
    const old = await rotate();
    for (const gateway of [urls.gateway, other]) expect(await handshake(gateway, { site: 'alpha', token: old })).toBe('accepted');
    const current = await rotate();
    expect(current).not.toBe(old);
    const started = Date.now();
    const refusedByBoth = async (): Promise<boolean> =>
      (await Promise.all([urls.gateway, other].map((g) => handshake(g, { site: 'alpha', token: old })))).every((answer) => answer !== 'accepted');
    while (!(await refusedByBoth())) {
      if (Date.now() - started > 30_000) throw new Error('the old token is still accepted after 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`topology: the rotated token was refused by both gateways after ${Date.now() - started} ms`);
    for (const gateway of [urls.gateway, other]) expect(await handshake(gateway, { site: 'alpha', token: current })).toBe('accepted');
    await second.stop('SIGTERM');
  }, 120_000);

  it('three aggregator processes under load, two of them killed with kill -9 and the ClickHouse server once: every table exact', async () => {
    const config = loadConfig({ ...env, CLICKHOUSE_URL: urls.clickhouse });
    const aggregatorEnv = { ...env, CLICKHOUSE_URL: urls.clickhouse, CLICKHOUSE_MIGRATE: 'false' };
    const own: AppProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await claimPort(0, 'test');
      const app = new AppProcess('aggregator', { ...aggregatorEnv, AGGREGATOR_PORT: String(port) });
      own.push(app);
      extra.push(app);
      app.start();
      await waitForHttp(`http://127.0.0.1:${port}/health`, [200, 503], 90_000);
    }

    const random = seededRandom(SEED);
    const happened: { fault: string; atMs: number }[] = [];
    const started = Date.now();
    const at = async (fraction: number): Promise<void> => {
      const wait = started + fraction * DURATION_S * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    };
    const killAggregator = async (): Promise<void> => {
      // one of the three at random: the supervisor restarts its own, the test restarts the others
      const pick = Math.floor(random() * 3);
      const target = own[pick];
      if (target) {
        expect((await target.stop('SIGKILL')).signal).toBe('SIGKILL');
        target.start();
      } else {
        const [pid] = partOf(/apps\/aggregator\/src\/main\.js/);
        process.kill(pid!, 'SIGKILL');
      }
      happened.push({ fault: `kill -9 aggregator ${pick}`, atMs: Date.now() - started });
    };
    let answeredWhileDown = 0;
    const killClickHouse = async (): Promise<void> => {
      const [pid] = partOf(/ClickHouseServer\.java/);
      process.kill(pid!, 'SIGKILL');
      happened.push({ fault: 'kill -9 ClickHouse server', atMs: Date.now() - started });
      while (alive(pid!)) await new Promise((r) => setTimeout(r, 50));
      // ingest takes hits while the server is down: Kafka is what makes a hit durable
      const hit = `while-clickhouse-down-${id}`;
      const res = await post({ site: 'alpha', url: 'https://alpha.example/during-outage', id: hit });
      if (res.status === 202) {
        acked.add(hit);
        answeredWhileDown += 1;
      }
      await waitForHttp(`${urls.clickhouse}/ping`, [200], 120_000);
      happened.push({ fault: 'ClickHouse server back', atMs: Date.now() - started });
    };
    const inject = async (): Promise<void> => {
      await at(0.15 + random() * 0.1);
      await killClickHouse();
      await at(0.45 + random() * 0.1);
      await killAggregator();
      await at(0.7 + random() * 0.1);
      await killAggregator();
    };

    const [report] = await Promise.all([
      steadyLoad(`${urls.ingest}/api/collect`, { rate: RATE, durationSeconds: DURATION_S, sites: SITES, seed: SEED }),
      inject(),
    ]);
    for (const eventId of report.acceptedIds) acked.add(eventId);
    expect(report.events.unacknowledged).toBe(0);
    expect(report.acceptedIds.length).toBe(EVENTS);
    expect(answeredWhileDown, 'a hit sent while the ClickHouse server was down was answered 202').toBe(1);

    await waitForCommittedEnd(env['KAFKA_BROKERS']!, env['KAFKA_TOPIC_EVENTS']!, env['KAFKA_CONSUMER_GROUP']!, 240_000, () => supervisor.output());
    for (const app of own) expect((await app.stop('SIGTERM')).code, app.output()).toBe(0);
    const clickhouse = createClickHouseClient(config.clickhouse);
    try {
      const stored = await storedSummary(clickhouse, config.clickhouse.database, acked);
      console.log(`topology: ${JSON.stringify({ seed: SEED, events: EVENTS, rate: RATE, ...stored, missing: stored.missing.length, extra: stored.extra.length, faults: happened, byStatus: report.byStatus })}`);
      expectExact(stored);
    } finally {
      await clickhouse.close();
    }
  }, (DURATION_S + 600) * 1000);

  it('a gateway killed with kill -9 is restarted by the supervisor; its dashboard client reconnects by itself and shows the stored total', async () => {
    const token = ((await (await fetch(`${urls.gateway}/api/sites/alpha/rotate-token`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { token: string }).token;
    const site = `topology-gateway-${id}`;
    // page views of a path of this test's own, counted by the test as it sends them
    let sent = 0;
    for (let i = 0; i < 5; i++) {
      const res = await post({ site: 'alpha', url: `https://alpha.example/${site}/${i}`, id: `${site}-${i}` });
      expect(res.status).toBe(202);
      sent += 1;
    }
    const clickhouse = createClickHouseClient(loadConfig({ ...env, CLICKHOUSE_URL: urls.clickhouse }).clickhouse);
    const database = loadConfig(env).clickhouse.database;
    let expected = 0;
    try {
      // the load of the test before and these five: alpha's stored non-bot page views of today
      const raw = async (): Promise<number> => {
        const [row] = await (
          await clickhouse.query({
            query: `SELECT count() AS n FROM ${database}.events_raw WHERE site = 'alpha' AND type = 'pageview' AND NOT is_bot AND toDate(event_time) = today()`,
            format: 'JSONEachRow',
          })
        ).json<{ n: number }>();
        return Number(row?.n);
      };
      const before = await raw();
      // every insert done, views included (the aggregators commit only then); raw rows alone can show first
      await waitForCommittedEnd(env['KAFKA_BROKERS']!, env['KAFKA_TOPIC_EVENTS']!, env['KAFKA_CONSUMER_GROUP']!, 60_000, () => supervisor.output());
      expected = await raw();
      expect(expected).toBeGreaterThanOrEqual(before);
      const [mine] = await (await clickhouse.query({ query: `SELECT count() AS n FROM ${database}.events_raw WHERE url LIKE '%${site}%'`, format: 'JSONEachRow' })).json<{ n: number }>();
      expect(Number(mine?.n)).toBe(sent);
    } finally {
      await clickhouse.close();
    }

    const snapshots: number[] = [];
    const socket: Socket = io(`${urls.gateway}/live`, { auth: { site: 'alpha', token }, transports: ['websocket'], reconnectionDelay: 200, reconnectionDelayMax: 1000 });
    try {
      socket.on('snapshot', (snapshot: { today: { pageviews: number } }) => snapshots.push(snapshot.today.pageviews));
      const waitFor = async (n: number): Promise<void> => {
        const deadline = Date.now() + 90_000;
        while (snapshots.length < n) {
          if (Date.now() > deadline) throw new Error(`only ${snapshots.length} snapshot(s) arrived\n${supervisor.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await waitFor(1);
      const [pid] = partOf(/apps\/gateway\/src\/main\.js/);
      process.kill(pid!, 'SIGKILL');
      await waitFor(2);
      const [restarted] = partOf(/apps\/gateway\/src\/main\.js/);
      expect(restarted).not.toBe(pid);
      expect(snapshots).toEqual([expected, expected]);
    } finally {
      socket.close();
    }
    await supervisor.waitForOutput(/"app":"gateway".*"msg":"app died: restarting it"/, 1000);
  }, 240_000);

  it('the example the banner prints, run as printed, moves the page views on the dashboard (not its bot count)', async () => {
    const [, dashboard] = await supervisor.waitForOutput(/Dashboard: +(\S+)/, 1000);
    const [, example] = await supervisor.waitForOutput(/Try it[^\n]*\n((?: {4}.*\n)+)/, 1000);
    const token = new URL(dashboard!).searchParams.get('token')!;
    const totals = async (): Promise<{ pageviews: number; botEvents: number }> =>
      (await fetch(`${urls.gateway}/api/sites/demo/totals`, { headers: { Authorization: `Bearer ${token}` } })).json() as Promise<{ pageviews: number; botEvents: number }>;
    const before = await totals();
    const run = spawnSync('sh', ['-c', example!], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout, run.stderr).toMatch(/^HTTP\/1\.1 202/);
    await eventually(async () => ((await totals()).pageviews === before.pageviews + 1 ? true : undefined), 60_000, 'the example page view on the dashboard');
    expect((await totals()).botEvents).toBe(before.botEvents);
  });

  it('kill -9 of the supervisor leaves no process of ours running within 10 s', async () => {
    const parts = descendants(supervisor.pid!);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    await supervisor.stop('SIGKILL');
    const deadline = Date.now() + 10_000;
    let left = parts.filter((p) => alive(p.pid));
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      left = left.filter((p) => alive(p.pid));
    }
    expect(left.map((p) => p.args)).toEqual([]);
  }, 60_000);
});
