import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../tools/bench/src/main.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The benchmark in --quick mode runs end to end and writes a report that parses. It asserts no timing. */
describe('npm run bench -- --quick', () => {
  it('runs the whole system and its baselines and writes a complete report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clickstream-bench-smoke-'));
    try {
      const out = join(dir, 'bench.json');
      await promisify(execFile)(process.execPath, ['dist/tools/bench/src/main.js', '--quick', '--out', out], { cwd: root, timeout: 170_000 });
      const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
      expect(report.quick).toBe(true);
      expect(report.ingest.map((i) => i.batch)).toEqual([1, 20]);
      for (const i of report.ingest) {
        // every measured request was answered 202, by ours and by the baseline
        expect(Object.keys(i.ours.byStatus)).toEqual(['202']);
        expect(Object.keys(i.bare.byStatus)).toEqual(['202']);
        expect(i.ours.requests).toBeGreaterThan(0);
        expect(i.ratio).toBe(Math.round((i.ours.requestsPerSecond / i.bare.requestsPerSecond) * 100) / 100);
      }
      expect(report.tracker.gzipBytes).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
