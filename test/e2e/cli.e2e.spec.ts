import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clickstreamEnv, eventually, startTestSystem } from '../support/test-system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'dist/apps/cli/src/main.js';
const COMMANDS = ['topics', 'produce', 'tail', 'replay', 'sites', 'goals', 'status'];

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (compiled by the global setup, as `npx clickstream` runs it) with only the
 * given environment. Asynchronous: the gateway it talks to may live in this very process.
 */
function clickstream(args: string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The one line an error is: `clickstream: …` on stderr, nothing else. */
function oneErrorLine(run: CliRun): string {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^clickstream: /);
  return lines[0]!;
}

describe('the clickstream command line against the real broker', () => {
  const id = randomUUID().slice(0, 8);
  const brokers = inject('kafkaBrokers');
  const topics = { events: `cli-${id}.events`, aggregates: `cli-${id}.aggregates`, deadLetter: `cli-${id}.dead-letter`, sites: `cli-${id}.sites`, salts: `cli-${id}.salts` };
  const group = `cli-${id}-aggregator`;
  const env: Record<string, string> = {
    LOG_LEVEL: 'error',
    KAFKA_BROKERS: brokers,
    KAFKA_CLIENT_ID: `cli-${id}`,
    KAFKA_TOPIC_EVENTS: topics.events,
    KAFKA_TOPIC_AGGREGATES: topics.aggregates,
    KAFKA_TOPIC_DEAD_LETTER: topics.deadLetter,
    KAFKA_TOPIC_SITES: topics.sites,
    KAFKA_TOPIC_SALTS: topics.salts,
    KAFKA_CONSUMER_GROUP: group,
    // one partition, so offsets are the order the events were sent in
    KAFKA_EVENTS_PARTITIONS: '1',
  };
  const kafka = new Kafka({ clientId: `cli-test-${id}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let beforeProduce = 0;

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('answers --help for every command, and lists the commands', async () => {
    const runs = await Promise.all([clickstream(['--help'], env), ...COMMANDS.map((c) => clickstream([c, '--help'], env))]);
    for (const [i, run] of runs.entries()) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(i === 0 ? /^usage: clickstream <command>/ : new RegExp(`^usage: clickstream ${COMMANDS[i - 1]}`));
    }
    for (const c of COMMANDS) expect(runs[0]!.stdout).toContain(`  ${c}`);
    const unknown = await clickstream(['frobnicate'], env);
    expect(unknown.code).toBe(1);
    expect(oneErrorLine(unknown)).toBe('clickstream: unknown command "frobnicate" (clickstream --help lists the commands)');
  });

  it('says in one line that the broker is unreachable', async () => {
    const down = { ...env, KAFKA_BROKERS: '127.0.0.1:1' };
    const runs = await Promise.all([clickstream(['topics', 'list'], down), clickstream(['tail'], down), clickstream(['produce'], down, '{"site":"demo","url":"https://example.com/"}\n')]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(oneErrorLine(run)).toBe('clickstream: Kafka broker unreachable at 127.0.0.1:1 (is Clickstream running? set KAFKA_BROKERS)');
    }
    const status = await clickstream(['status'], down);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^FAIL {2}Kafka broker +Kafka broker unreachable at 127\.0\.0\.1:1/m);
  });

  it('creates the project topics (again: left as they are) and a topic of its own, and lists them', async () => {
    const created = await clickstream(['topics', 'create'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`created   ${topics.events}: 1 partition(s), replication factor 1`);
    expect(created.stdout).toContain(`created   ${topics.aggregates}: 3 partition(s), replication factor 1, retention 1d`);
    const again = await clickstream(['topics', 'create'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`exists    ${topics.events} (left as it is)`);

    const own = `cli-${id}.orders`;
    const orders = await clickstream(['topics', 'create', own, '--partitions', '2', '--retention', '2h'], env);
    expect(orders.stdout).toBe(`created   ${own}: 2 partition(s), replication factor 1, retention 2h\n`);
    const duplicate = await clickstream(['topics', 'create', own], env);
    expect(duplicate.code).toBe(1);
    expect(oneErrorLine(duplicate)).toContain(`topic "${own}" exists already`);

    const list = await clickstream(['topics', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^TOPIC +ROLE +PARTITIONS +REPLICATION +RETENTION +RECORDS$/m);
    expect(list.stdout).toMatch(new RegExp(`^${topics.events.replace('.', '\\.')} +events +1 +1 +7d +0$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${topics.deadLetter.replace('.', '\\.')} +dead-letter +3 +1 +7d +0$`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^${own.replace('.', '\\.')} +2 +1 +2h +0$`, 'm'));
  });

  it('produces the good lines of stdin as ingest would, and reports each bad one with its line number', async () => {
    beforeProduce = Date.now();
    const input = [
      '{"site":"demo","url":"https://example.com/","visitor":"alice"}',
      '{"site":"demo","url":"not a url"}',
      '',
      '{"site":',
      '{"type":"event","name":"signup","props":{"plan":"pro"},"site":"demo","url":"https://example.com/pricing","visitor":"alice"}',
      '{"site":"shop","url":"https://shop.example/cart"}',
    ].join('\n');
    const run = await clickstream(['produce'], env, input);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('sent 3, rejected 2\n');
    expect(run.stderr).toContain('line 2: url: expected an absolute http(s) URL\n');
    expect(run.stderr).toMatch(/^line 4: not valid JSON \(.+\)$/m);
    // no admin token: the site ids could not be checked, and it says so
    expect(run.stderr).toMatch(/^clickstream: warning: site ids are not checked: no admin token/m);

    const [partition] = await admin.fetchTopicOffsets(topics.events);
    expect(partition?.high).toBe('3');
  });

  it('describes a topic: partitions with their offsets, and the lag of the aggregator group per partition', async () => {
    await admin.setOffsets({ groupId: group, topic: topics.events, partitions: [{ partition: 0, offset: '1' }] });
    const run = await clickstream(['topics', 'describe', 'events'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${topics.events} (the events topic)\n  1 partition(s), replication factor 1, retention 7d (retention.ms=604800000), 3 record(s)`);
    expect(run.stdout).toMatch(/^ {2}PARTITION +LEADER +REPLICAS +ISR +START +END +RECORDS\n {2}0 +\d+ +\d+ +\d+ +0 +3 +3$/m);
    expect(run.stdout).toContain(`consumer group ${group} (Empty, 0 member(s)): lag 2`);
    expect(run.stdout).toMatch(/^ {2}PARTITION +COMMITTED +END +LAG\n {2}0 +1 +3 +2$/m);
  });

  it('tails the produced events from an offset, a time or the start, as text or JSON lines, filtered by site', async () => {
    const fromOffset = await clickstream(['tail', '--from', '1', '--max', '2'], env);
    expect(fromOffset.code, fromOffset.stderr).toBe(0);
    const lines = fromOffset.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^p0@1 {2}\S+Z {2}demo {2}event signup \{"plan":"pro"\} {2}https:\/\/example\.com\/pricing {2}visitor [0-9a-f]{8}$/);
    expect(lines[1]).toMatch(/^p0@2 {2}\S+Z {2}shop {2}pageview {2}https:\/\/shop\.example\/cart/);
    expect(fromOffset.stderr).toBe(`tailing ${topics.events} (1 partition(s)) from p0@1; Ctrl-C stops\n`);

    const json = await clickstream(['tail', 'events', '--from', new Date(beforeProduce - 1000).toISOString(), '--max', '3', '--json'], env);
    const records = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { offset: string; key: string; value: { site: string; visitorId: string; type: string } });
    expect(records.map((r) => [r.offset, r.value.site, r.value.type])).toEqual([
      ['0', 'demo', 'pageview'],
      ['1', 'demo', 'event'],
      ['2', 'shop', 'pageview'],
    ]);
    // keyed like ingest, and the same visitor name is the same visitor
    expect(records[0]!.key).toBe(`demo:${records[0]!.value.visitorId}`);
    expect(records[1]!.value.visitorId).toBe(records[0]!.value.visitorId);

    const shop = await clickstream(['tail', '--from', 'earliest', '--site', 'shop', '--max', '1'], env);
    expect(shop.stdout).toMatch(/^p0@2 {2}\S+ {2}shop {2}pageview/);
    const nothingNew = await clickstream(['tail', '--timeout', '1s'], env);
    expect([nothingNew.code, nothingNew.stdout]).toEqual([0, '']);
  });

  it('tails the dead-letter topic with the reason of each refused event', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const letter = { source: 'ingest', reason: 'invalid_event', field: 'url', detail: 'expected an absolute http(s) URL', index: null, payload: '{"site":"demo","url":"x"}', receivedAt: Date.now() };
    await producer.send({ topic: topics.deadLetter, acks: -1, messages: [{ key: 'demo', value: JSON.stringify(letter) }] });
    await producer.disconnect();
    const run = await clickstream(['tail', 'dead-letter', '--from', 'earliest', '--site', 'demo', '--max', '1'], env);
    expect(run.stdout).toMatch(/^p\d@0 {2}\S+Z {2}ingest {2}invalid_event {2}url: expected an absolute http\(s\) URL {2}payload \{"site":"demo","url":"x"\}\n$/);
  });

  it('refuses an unknown topic, a bad offset and a bad option in one line each', async () => {
    const runs = await Promise.all([
      clickstream(['tail', `cli-${id}.nope`], env),
      clickstream(['topics', 'describe', `cli-${id}.nope`], env),
      clickstream(['tail', '--from', 'abc'], env),
      clickstream(['tail', '--from', '99'], env),
      clickstream(['tail', '--colour'], env),
    ]);
    for (const run of runs) expect(run.code).toBe(1);
    expect(oneErrorLine(runs[0]!)).toBe(`clickstream: unknown topic "cli-${id}.nope" (clickstream topics list shows the topics)`);
    expect(oneErrorLine(runs[1]!)).toContain('unknown topic');
    expect(oneErrorLine(runs[2]!)).toMatch(/^clickstream: --from: expected now, earliest, an offset .*got "abc"$/);
    expect(oneErrorLine(runs[3]!)).toBe(`clickstream: --from: offset 99 is past the end of ${topics.events} (partition 0 ends at offset 3)`);
    expect(oneErrorLine(runs[4]!)).toBe('clickstream: tail: unknown option --colour (clickstream tail --help lists the options)');
  });

  it('refuses a bad replay start before touching anything (the replay itself is the aggregator suite)', async () => {
    const [bad, missing] = await Promise.all([clickstream(['replay', 'yesterday'], env), clickstream(['replay'], env)]);
    expect(bad.code).toBe(1);
    expect(oneErrorLine(bad)).toBe('clickstream: from: expected earliest, an offset or an ISO-8601 time, got "yesterday"');
    expect(missing.code).toBe(1);
    expect(oneErrorLine(missing)).toMatch(/^clickstream: from: required/);
  });
});

describe('the clickstream command line against a running Clickstream', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    system = await startTestSystem();
    env = clickstreamEnv(system);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('adds a site and prints its snippet and dashboard link; lists it; rotates its token', async () => {
    const added = await clickstream(['sites', 'add', 'blog', '--name', 'My blog'], env);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('site blog ("My blog") added');
    expect(added.stdout).toContain(`<script defer src="${system.ingestUrl}/script.js" data-site="blog"></script>`);
    const link = /^ {2}(http\S+)$/m.exec(added.stdout.slice(added.stdout.indexOf('Dashboard')))?.[1];
    expect(link).toMatch(new RegExp(`^${system.gatewayUrl}/\\?site=blog&token=`));

    const list = await clickstream(['sites', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID +NAME +CREATED +DASHBOARD$/m);
    expect(list.stdout).toMatch(new RegExp(`^blog +My blog +\\S+ \\S+ +${link!.replace(/[?.]/g, '\\$&')}$`, 'm'));
    expect(list.stdout).toMatch(/^demo +demo /m);

    const rotated = await clickstream(['sites', 'rotate-token', 'blog'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('site blog: new dashboard token');
    const newLink = /^ {2}(http\S+)$/m.exec(rotated.stdout.slice(rotated.stdout.indexOf('Dashboard')))?.[1];
    expect(newLink).toMatch(/\?site=blog&token=/);
    expect(newLink).not.toBe(link);
  });

  it("adds, lists and removes a site's goals through the gateway, and says what is wrong with a bad one", async () => {
    const page = await clickstream(['goals', 'add', 'demo', '--page', '/thanks/*'], env);
    expect(page.code, page.stderr).toBe(0);
    const pageId = /^goal (\S+) added to demo: page \/thanks\/\*$/m.exec(page.stdout)?.[1];
    expect(pageId).toBeDefined();
    const event = await clickstream(['goals', 'add', 'demo', '--event', 'signup', '--property', 'plan=pro'], env);
    expect(event.stdout).toMatch(/^goal \S+ added to demo: event signup \(plan = pro\)$/m);

    const list = await clickstream(['goals', 'list', 'demo'], env);
    expect(list.stdout).toMatch(/^ID +GOAL +CREATED$/m);
    expect(list.stdout).toMatch(new RegExp(`^${pageId} +page /thanks/\\* +\\S+$`, 'm'));
    expect(list.stdout).toMatch(/ event signup \(plan = pro\) /);
    // the API answers the same list
    const api = (await (await fetch(`${system.gatewayUrl}/api/sites/demo/goals`, { headers: { Authorization: `Bearer ${system.admin.token}` } })).json()) as { goals: { id: string }[] };
    expect(api.goals.map((g) => g.id)).toContain(pageId);

    const removed = await clickstream(['goals', 'remove', 'demo', pageId!], env);
    expect(removed.stdout).toBe(`goal ${pageId} of site demo removed\n`);
    expect((await clickstream(['goals', 'list', 'demo'], env)).stdout).not.toContain(pageId!);

    const bad = await Promise.all([
      clickstream(['goals', 'add', 'demo', '--page', 'thanks'], env),
      clickstream(['goals', 'add', 'demo', '--page', '/a', '--event', 'b'], env),
      clickstream(['goals', 'add', 'demo', '--event', 'b', '--property', 'noequals'], env),
      clickstream(['goals', 'remove', 'demo', 'nope'], env),
    ]);
    for (const run of bad) expect(run.code).toBe(1);
    expect(oneErrorLine(bad[0]!)).toBe('clickstream: page: expected a path starting with "/"');
    expect(oneErrorLine(bad[1]!)).toContain('one of them');
    expect(oneErrorLine(bad[2]!)).toContain('<key>=<value>');
    expect(oneErrorLine(bad[3]!)).toBe('clickstream: id: no goal nope of site demo');
  });

  it("prints the gateway's refusals in one line: an existing id, an unknown site, a wrong admin token", async () => {
    const runs = await Promise.all([
      clickstream(['sites', 'add', 'demo'], env),
      clickstream(['sites', 'rotate-token', 'nope'], env),
      clickstream(['sites', 'add', '<b>'], env),
      clickstream(['sites', 'list', '--admin-token', 'admin_wrong_token_1234567890'], env),
      clickstream(['sites', 'list'], { ...env, PUBLIC_GATEWAY_URL: 'http://127.0.0.1:1' }),
    ]);
    for (const run of runs) expect(run.code).toBe(1);
    expect(oneErrorLine(runs[0]!)).toBe('clickstream: id: site demo exists already');
    expect(oneErrorLine(runs[1]!)).toBe('clickstream: site: no site nope');
    expect(oneErrorLine(runs[2]!)).toMatch(/^clickstream: id: expected 1-64 letters/);
    expect(oneErrorLine(runs[3]!)).toMatch(/^clickstream: the gateway refused the admin token/);
    expect(oneErrorLine(runs[4]!)).toBe('clickstream: gateway unreachable at http://127.0.0.1:1 (is Clickstream running? set PUBLIC_GATEWAY_URL or GATEWAY_PORT)');
  });

  it('checks site ids against the running gateway when producing', async () => {
    const run = await clickstream(['produce'], env, '{"site":"demo","url":"https://example.com/cli"}\n{"site":"unregistered","url":"https://example.com/"}\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('sent 1, rejected 1\n');
    expect(run.stderr).toBe('line 2: site: unknown site "unregistered"\n');
  });

  it('refuses to replay while the aggregator runs, before opening anything', async () => {
    const run = await clickstream(['replay', 'earliest'], env);
    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toBe(`clickstream: consumer group ${env['KAFKA_CONSUMER_GROUP']} has 1 active member(s): stop the aggregator(s) before a replay`);
  });

  it('reports every check ok once the aggregator has read the events, and shows its window updates', async () => {
    const status = await eventually(
      async () => {
        const run = await clickstream(['status'], env);
        return run.code === 0 && /^ok +aggregator group +.*lag 0$/m.test(run.stdout) && /^ok +last window/m.test(run.stdout) ? run : undefined;
      },
      30_000,
      'status all ok',
    );
    const out = status.stdout;
    expect(out).toMatch(/^ok +Kafka broker +\S+ \(1 broker\(s\)\)$/m);
    expect(out).toMatch(new RegExp(`^ok +events topic +${env['KAFKA_TOPIC_EVENTS']!.replace('.', '\\.')}: 6 partition\\(s\\), 1 record\\(s\\)$`, 'm'));
    expect(out).toMatch(/^ok +aggregates topic /m);
    expect(out).toMatch(/^ok +dead-letter topic /m);
    expect(out).toMatch(/^ok +aggregator group +\S+: 1 member\(s\), lag 0$/m);
    expect(out).toMatch(/^ok +aggregator +http:\/\/\S+: ok, reading partitions 0,1,2,3,4,5$/m);
    expect(out).toMatch(/^ok +last window +event time \S+Z reached/m);
    expect(out).toMatch(/^ok +ClickHouse /m);
    expect(out).toMatch(/^ok +ingest +\S+: ok, Kafka up for it$/m);
    expect(out).toMatch(/^ok +gateway +\S+: \d+ site\(s\)$/m);
    expect(out).toMatch(/^-- +counts +events accepted 1 \(records of the events topic\); dead letters \d+; stored by the aggregator since it started 1; ClickHouse rows: events_raw 1, rollup_1m [1-9]\d*, sessions_1m \d+, sites \d+$/m);

    const windows = await clickstream(['tail', 'aggregates', '--from', 'earliest', '--site', 'demo', '--max', '1'], env);
    expect(windows.code, windows.stderr).toBe(0);
    expect(windows.stdout).toMatch(/^p\d+@\d+ {2}(window 1[sm] {2}\S+Z {2}demo {2}pageviews 1 |presence {2}\S+Z {2}demo {2}visitors 5m 1 )/);
  });
});
