import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SECTIONS, type BenchReport } from '../tools/bench/src/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The benchmark in --quick mode runs every section end to end and writes a report that parses,
 * with every figure and goal in place, plus the page and the charts. It asserts no timing.
 */
describe('npm run bench -- --quick', () => {
  it('runs every section against its baseline and writes a complete report, page and charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clickstream-bench-smoke-'));
    try {
      const out = join(dir, 'bench.json');
      await promisify(execFile)(process.execPath, ['dist/tools/bench/src/main.js', '--quick', '--out', out], { cwd: root, timeout: 330_000, maxBuffer: 16 * 1024 * 1024 });
      const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
      const s = report.sections;
      expect(report.quick).toBe(true);
      expect(report.failures).toEqual([]);
      expect(report.ran).toEqual([...SECTIONS]);
      for (const name of SECTIONS) expect(s[name]?.run.quick, name).toBe(true);

      // 1: every measured request was answered 202, by ours and by the baseline
      expect(s.ingest!.rows.map((i) => i.batch)).toEqual([1, 20]);
      for (const i of s.ingest!.rows) {
        expect(Object.keys(i.ours.byStatus)).toEqual(['202']);
        expect(Object.keys(i.bare.byStatus)).toEqual(['202']);
        expect(i.ours.requests).toBeGreaterThan(0);
        expect(i.ratio).toBe(Math.round((i.ours.requestsPerSecond / i.bare.requestsPerSecond) * 100) / 100);
        expect(typeof i.otherCpu).toBe('number');
      }
      // 2: both producers delivered, the baseline with EventProducer's own batch sizes
      expect(s.producer!.rows.map((r) => r.eventsPerCall)).toEqual([1, 20]);
      for (const r of s.producer!.rows) {
        expect(r.ours.events).toBeGreaterThan(0);
        expect(r.raw.events).toBeGreaterThan(0);
        expect(r.ours.sendBatches).toBeGreaterThan(0);
        expect(typeof r.otherCpu).toBe('number');
      }
      // 3: the raw consumer saw every event and the aggregator stored every one
      const agg = s.aggregator!;
      expect(agg.raw.events).toBe(agg.events);
      expect(agg.ours.stored).toBe(agg.events);
      // and storing the same rows again, alone, took every one of them
      expect(agg.ours.storageAlone?.rows).toBe(agg.events);
      expect(agg.ours.storageAlone?.inserts).toBeGreaterThan(0);
      // 4: probes were attributed at both levels, and every accepted event was stored
      expect(s.freshness!.levels.map((l) => l.batch)).toEqual([1, 1, 20]);
      for (const level of s.freshness!.levels) {
        expect(level.freshness!.probes).toBeGreaterThan(0);
        expect(level.freshness!.countAhead).toBe(0);
        expect(level.stored.stored).toBe(level.stored.accepted);
      }
      // 5: inserts were counted and every history endpoint answered
      const ch = s.clickhouse!;
      expect(ch.steady.inserts.statements).toBeGreaterThan(0);
      expect(ch.loaded.rowsByTable['events_raw']).toBeGreaterThanOrEqual(ch.loaded.rows);
      for (const e of ch.endpoints) expect([e.name, e.failures, e.latencyMs.samples]).toEqual([e.name, 0, ch.rounds]);
      // 6: every client connected and got updates
      const gw = s.gateway!;
      expect(gw.connect.connected).toBe(gw.clients);
      expect(gw.clientStats.updates).toBeGreaterThan(0);
      expect(gw.without).toHaveLength(2);
      // 7
      expect(s.tracker!.gzipBytes).toBeGreaterThan(0);
      // 8: both request sizes were stepped, each level judged with its reasons
      expect(s.capacity!.modes.map((m) => m.batch)).toEqual([1, 20]);
      for (const m of s.capacity!.modes) {
        expect(m.steps.length).toBeGreaterThan(0);
        for (const step of [...m.steps, ...m.confirmations]) expect(step.passed).toBe(step.reasons.length === 0);
        expect(m.bottleneck).not.toBe('');
      }
      // and judged against the goals, 0.5x the bare server's single events/s and 0.4x its events/s in batches of 20,
      // both measured in the same section, and 2,500 MB of resident memory at the level held
      const bare = s.capacity!.bare!;
      expect(bare.map((b) => b.batch)).toEqual([1, 20]);
      for (const b of bare) expect(b.eventsPerSecond).toBe(b.requestsPerSecond * b.batch);
      const capacityGoals = s.capacity!.goals.map((g) => [g.name, g.goal, g.value]);
      for (const m of s.capacity!.modes) {
        const name = m.batch === 1 ? 'single events' : `batches of ${m.batch}`;
        const base = bare.find((b) => b.batch === m.batch)!.eventsPerSecond;
        expect(capacityGoals).toContainEqual([`capacity, ${name}, sustained vs the bare server's events/s`, m.batch === 1 ? 0.5 : 0.4, m.sustained === null ? null : Math.round((m.sustained / base) * 100) / 100]);
      }
      // every level sampled the resident memory of each app, the broker and the ClickHouse server
      for (const step of s.capacity!.modes.flatMap((m) => m.steps)) {
        const mem = step.memory!;
        expect(mem.apps.ingest).toBeGreaterThan(0);
        expect(mem.apps.aggregator).toBeGreaterThan(0);
        expect(mem.apps.gateway).toBeGreaterThan(0);
        expect(mem.kafka).toBeGreaterThan(0);
        expect(mem.total).toBeGreaterThanOrEqual(mem.apps.ingest + mem.apps.aggregator + mem.apps.gateway + mem.kafka! - 3);
        // the app processes are measured one by one: ingest's workers, the aggregator and the gateway each used CPU under load
        expect(step.cpu.apps!.ingest.processes).toBeGreaterThan(0);
        expect(step.cpu.apps!.ingest.total).toBeGreaterThan(0);
        expect(step.cpu.apps!.aggregator.total).toBeGreaterThan(0);
      }
      // 9: both fixed rates ran, every accepted event was stored, and every part's CPU was read
      expect(s.cost!.levels.map((l) => l.batch)).toEqual([1, 20]);
      for (const level of s.cost!.levels) {
        expect(level.load.events.accepted).toBeGreaterThan(0);
        expect(level.stored.stored).toBe(level.stored.accepted);
        expect(level.cpu.apps!.aggregator.total).toBeGreaterThan(0);
      }
      // 0: the system at rest was measured with its dashboard client connected
      expect(s.idle!.dashboardConnected).toBe(true);
      expect(s.idle!.memory!.total).toBeGreaterThan(0);
      // twice: the first minute after the start, and again once settled, each reading the broker's and ClickHouse's CPU
      expect(s.idle!.settled!.afterSeconds).toBeGreaterThan(0);
      for (const window of [s.idle!, s.idle!.settled!]) {
        expect(window.cpu.kafka).toBeTypeOf('number');
        expect(window.cpu.clickhouse).toBeTypeOf('number');
        expect(window.systemCpu).toBeGreaterThan(0);
      }
      expect(s.idle!.goals.map((g) => [g.name, g.goal])).toEqual([
        ['idle system CPU, one dashboard open, settled', 5],
        ['idle system resident memory', 1500],
        ['idle system CPU, one dashboard open, first minute after start', 5],
      ]);
      // malformed events were refused while good ones were accepted
      for (const r of s.malformed!.rows) {
        expect(r.clean.every((b) => (b.acceptedEvents ?? 0) > 0)).toBe(true);
        expect(r.dirty.every((b) => (b.acceptedEvents ?? 0) > 0)).toBe(true);
      }
      expect(s.malformed!.rows[0]!.dirty.every((b) => (b.byStatus['400'] ?? 0) > 0)).toBe(true);

      // every goal is judged, and the page and charts were written
      const goals = Object.values(s).flatMap((section) => (section as { goals?: { met: unknown; goal: unknown }[] }).goals ?? []);
      expect(goals.length).toBeGreaterThanOrEqual(16);
      for (const g of goals) expect([typeof g.met, typeof g.goal]).toEqual(['boolean', 'number']);
      const page = readFileSync(join(dir, 'bench.md'), 'utf8');
      for (const heading of ['## Goals', '## 0. At rest', '## 1. Ingest', '## 2. Producer path', '## 3. Aggregator', '## 4. Freshness', '## 5. ClickHouse', '## 6. Gateway', '## 7. Tracker', '## 8. Capacity', '## 9. Cost per event', '## 5% malformed events']) {
        expect(page).toContain(heading);
      }
      expect(page).toMatch(/^\| 8 \| capacity, single events, sustained vs the bare server's events\/s \| [^|]+ \| ≥ 0.5x \| (met|\*\*missed\*\*) \|$/m);
      expect(page).toMatch(/^\| 8 \| capacity, batches of 20, sustained vs the bare server's events\/s \| [^|]+ \| ≥ 0.4x \| (met|\*\*missed\*\*) \|$/m);
      for (const chart of ['bench-throughput.svg', 'bench-latency.svg']) {
        const svg = readFileSync(join(dir, chart), 'utf8');
        expect(svg).toMatch(/^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 340_000);
});
