import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseClient, type ClickHouseClient } from '@clickstream/clickhouse';
import { projectRoot } from '@clickstream/infra';
import { rollupSnapshot } from '../support/rollup-snapshot.js';
import { waitForCommittedEnd } from '../support/stored-events.js';
import { clickstreamEnv, postJson, startTestSystem } from '../support/test-system.js';

const root = projectRoot();
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Every `$ npx clickstream …` line of the README's code blocks, as written (its trailing comment dropped). */
const readmeCommands = (): string[] =>
  [...readme.matchAll(/^\$ (npx clickstream .*)$/gm)].map(([, line]) => line!.replace(/\s+#.*$/, '').trim());

/** The README's own events.jsonl: the lines its `cat events.jsonl` shows. */
const readmeEventsFile = (): string => {
  const block = readme.slice(readme.indexOf('$ cat events.jsonl\n') + '$ cat events.jsonl\n'.length);
  return block.slice(0, block.indexOf('$ ')).trimEnd() + '\n';
};

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * What each README line must do here, in the order run (an order where each finds what it
 * needs: the site blog before its events, a dead letter before it is tailed, the apps stopped
 * before the replay). `stream` lines run until `until` matches their output, then get Ctrl-C.
 */
type Expectation = { line: string; code: number; out?: RegExp; err?: RegExp } | { line: string; stream: true; until: RegExp; meanwhile?: () => Promise<void> };

let hit: (site: string) => Promise<void> = async () => undefined;

const EXPECTATIONS: Expectation[] = [
  { line: 'npx clickstream topics list', code: 0, out: /^TOPIC +ROLE +PARTITIONS/m },
  { line: 'npx clickstream tail orders', code: 1, err: /^clickstream: unknown topic "orders" \(clickstream topics list shows the topics\)\n$/ },
  { line: 'npx clickstream tail --from 99999', code: 1, err: /^clickstream: --from: offset 99999 is past the end of \S+ \(no partition goes past offset \d+\)\n$/ },
  { line: 'npx clickstream topics create', code: 0, out: /^exists +\S+\.events \(left as it is\)$/m },
  { line: 'npx clickstream topics create orders --partitions 3 --retention 2d', code: 0, out: /^created +orders: 3 partition\(s\), replication factor 1, retention 2d$/m },
  { line: 'npx clickstream topics describe events', code: 0, out: /\(the events topic\)/ },
  { line: 'npx clickstream sites add blog --name "My blog"', code: 0, out: /^site blog \("My blog"\) added$/m },
  { line: 'npx clickstream sites list', code: 0, out: /^blog +My blog +/m },
  { line: 'npx clickstream sites rotate-token blog', code: 0, out: /^site blog: new dashboard token/m },
  { line: 'npx clickstream sites add demo', code: 1, err: /^clickstream: id: site demo exists already\n$/ },
  { line: 'npx clickstream sites alias add blog blog.example.com', code: 0, out: /^blog\.example\.com \(Plausible domain\) now counts into site blog\n$/ },
  { line: 'npx clickstream sites alias add blog 0f9c6c8e-1c5d-4a8e-9b7a-3f2d1e0c9b8a', code: 0, out: /^0f9c6c8e-1c5d-4a8e-9b7a-3f2d1e0c9b8a \(Umami website id\) now counts into site blog\n$/ },
  { line: 'npx clickstream sites alias list blog', code: 0, out: /^ALIAS +KIND\n0f9c6c8e-1c5d-4a8e-9b7a-3f2d1e0c9b8a +Umami website id\nblog\.example\.com +Plausible domain\n$/ },
  { line: 'npx clickstream sites alias add demo Blog.Example.com', code: 1, err: /^clickstream: alias: blog\.example\.com is an alias of site blog already\n$/ },
  { line: 'npx clickstream sites alias remove blog 0f9c6c8e-1c5d-4a8e-9b7a-3f2d1e0c9b8a', code: 0, out: /^alias 0f9c6c8e-1c5d-4a8e-9b7a-3f2d1e0c9b8a of site blog removed\n$/ },
  { line: 'npx clickstream produce < events.jsonl', code: 1, out: /^sent 3, rejected 2$/m, err: /^line 3: site: unknown site "blg"\nline 4: url: expected an absolute http\(s\) URL\n/ },
  { line: 'npx clickstream tail --site blog --from 10m', stream: true, until: /blog +event signup \{"plan":"pro"\}/ },
  // it reads from now: a page view sent once it runs makes the next window update
  { line: 'npx clickstream tail aggregates --site blog', stream: true, until: /window 1m .* blog +pageviews \d+ /m, meanwhile: () => hit('blog') },
  { line: 'npx clickstream tail dead-letter --from earliest --json --max 1', code: 0, out: /^\{"topic":"[^"]+dead-letter","partition":\d+/ },
  { line: 'npx clickstream status', code: 0, out: /^ok +ClickHouse +/m },
  { line: 'npx clickstream replay 2026-11-25T10:00:00Z', code: 0, out: /^replay done: the rollups are rebuilt$/m },
];

describe("the README's clickstream command lines, run as the README writes them", () => {
  let system: Awaited<ReturnType<typeof startTestSystem>> | undefined;
  let env: Record<string, string>;
  let clickhouse: ClickHouseClient;
  const eventsFile = join(root, 'events.jsonl');

  /** `sh -c line` in the project folder, as a user types it there; a stream gets Ctrl-C once `until` shows. */
  const run = (line: string, until?: RegExp, meanwhile?: () => Promise<void>): Promise<Outcome> =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', line], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const interrupt = (): void => {
        if (until && until.test(stdout)) process.kill(-child.pid!, 'SIGINT');
      };
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        interrupt();
      });
      let started = false;
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (!started && meanwhile && /Ctrl-C stops/.test(stderr)) {
          started = true;
          void meanwhile();
        }
      });
      const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000);
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr });
      });
    });

  beforeAll(async () => {
    system = await startTestSystem();
    env = {
      ...clickstreamEnv(system),
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? root,
    };
    clickhouse = createClickHouseClient(system.config.clickhouse);
    writeFileSync(eventsFile, readmeEventsFile());
    const ingest = system.ingestUrl;
    hit = async (site) => {
      expect((await postJson(`${ingest}/api/collect`, { site, url: `https://${site}.example/` })).status).toBe(202);
    };
    // a refused hit, so the dead-letter topic has a record to show
    expect((await postJson(`${system.ingestUrl}/api/collect`, { site: 'demo', url: 'not-a-url' })).status).toBe(400);
  });

  afterAll(async () => {
    rmSync(eventsFile, { force: true });
    await clickhouse?.close();
    await system?.stop();
    system?.cleanup();
  });

  it('has an expectation for every line, and the built command is executable by itself (npx runs it directly)', () => {
    expect([...new Set(readmeCommands())].sort()).toEqual(EXPECTATIONS.map((e) => e.line).sort());
    const bin = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.clickstream as string;
    expect((statSync(join(root, bin)).mode & 0o111).toString(8), `${bin} must have its execute bits`).toBe('111');
  });

  it('runs each line with the exit code and output the README shows; the replay rebuilds exactly the stored tables', async () => {
    for (const expected of EXPECTATIONS) {
      let before: Awaited<ReturnType<typeof rollupSnapshot>> | undefined;
      if (expected.line.includes(' replay ')) {
        // the replay needs the apps stopped (the README says so); the broker and ClickHouse stay
        // up. What the aggregator stored is read first: the replay must rebuild exactly that.
        const { kafka } = system!.config;
        await waitForCommittedEnd(kafka.brokers!.join(','), kafka.topics.events, kafka.consumerGroup, 60_000);
        await system!.stop();
        system = undefined;
        before = await rollupSnapshot(clickhouse, env['CLICKHOUSE_DATABASE']!);
        expect(before['minutes']!.length).toBeGreaterThan(0);
      }
      if ('stream' in expected) {
        const outcome = await run(expected.line, expected.until, expected.meanwhile);
        expect(outcome.stdout, `${expected.line}\n${outcome.stderr}`).toMatch(expected.until);
        expect(outcome.stderr, expected.line).toMatch(/Ctrl-C stops/);
        continue;
      }
      const outcome = await run(expected.line);
      const context = `${expected.line}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`;
      expect(outcome.code, context).toBe(expected.code);
      if (expected.out) expect(outcome.stdout, context).toMatch(expected.out);
      if (expected.err) expect(outcome.stderr, context).toMatch(expected.err);
      if (before) expect(await rollupSnapshot(clickhouse, env['CLICKHOUSE_DATABASE']!)).toEqual(before);
    }
    // the README's other replay starts (its comment: earliest, or an offset), from the same stopped
    // system; the second is `npm run replay -- earliest` less its build step: the suite built dist/
    // already, and a second build while other files run their built apps could hand them a half-written file
    const stored = await rollupSnapshot(clickhouse, env['CLICKHOUSE_DATABASE']!);
    for (const line of ['npx clickstream replay 0', 'node dist/apps/aggregator/src/replay/replay.main.js earliest']) {
      const outcome = await run(line);
      const context = `${line}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`;
      expect(outcome.code, context).toBe(0);
      expect(outcome.stdout, context).toMatch(/^replay done: the rollups are rebuilt$/m);
      expect(await rollupSnapshot(clickhouse, env['CLICKHOUSE_DATABASE']!), line).toEqual(stored);
    }
  }, 600_000);
});
