import 'reflect-metadata';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '@clickstream/config';
import { projectRoot } from '@clickstream/infra';
import { createLogger } from '@clickstream/logger';
import { startSystem } from '../../../apps/standalone/src/system.js';
import type { BlastResult } from './http-blast.js';
import type { BlastJob } from './blast-worker.js';
import { startBareCollectServer } from './bare-collect-server.js';

export interface BenchReport {
  command: string;
  date: string;
  cores: number;
  cpu: string;
  quick: boolean;
  ingest: { batch: number; connections: number; bare: BlastResult; ours: BlastResult; ratio: number; eventsPerSecond: number; bareEventsPerSecond: number }[];
  tracker: { bytes: number; gzipBytes: number };
}

function runBlast(job: BlastJob): Promise<BlastResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./blast-worker.js', import.meta.url), { workerData: job });
    worker.once('message', (r: BlastResult) => resolve(r));
    worker.once('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' } }, strict: true });
  const quick = values.quick === true;
  const durationMs = quick ? 3000 : 15_000;
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), 'clickstream-bench-'));
  const logger = createLogger('warn', 'bench');
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    KAFKA_LOCAL_PORT: '0',
    KAFKA_LOCAL_CONTROLLER_PORT: '0',
    KAFKA_LOCAL_DATA_DIR: join(dir, 'kafka'),
    CHDB_PATH: join(dir, 'chdb'),
    INGEST_PORT: '0',
    GATEWAY_PORT: '0',
    AGGREGATOR_PORT: '0',
    TRUST_PROXY: '1',
    RATE_LIMIT_BURST: '1000000',
    RATE_LIMIT_PER_SECOND: '1000000',
  });
  const system = await startSystem(config, logger);
  const bare = await startBareCollectServer();
  const report: BenchReport = {
    command: quick ? 'npm run bench -- --quick' : 'npm run bench',
    date: new Date().toISOString(),
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    quick,
    ingest: [],
    tracker: { bytes: 0, gzipBytes: 0 },
  };
  try {
    for (const batch of [1, 20]) {
      const connections = 64;
      const job = { connections, durationMs, batch, seed: batch };
      const bareResult = await runBlast({ ...job, url: bare.url });
      const ours = await runBlast({ ...job, url: `${system.ingestUrl}/api/collect` });
      report.ingest.push({
        batch,
        connections,
        bare: bareResult,
        ours,
        ratio: Math.round((ours.requestsPerSecond / Math.max(1, bareResult.requestsPerSecond)) * 100) / 100,
        eventsPerSecond: ours.requestsPerSecond * batch,
        bareEventsPerSecond: bareResult.requestsPerSecond * batch,
      });
      process.stderr.write(`ingest, batch ${batch}: ${ours.requestsPerSecond} req/s vs bare ${bareResult.requestsPerSecond} req/s\n`);
    }
    const tracker = readFileSync(join(root, 'dist', 'tracker', 'tracker.js'));
    report.tracker = { bytes: tracker.length, gzipBytes: gzipSync(tracker, { level: 9 }).length };
  } finally {
    await bare.close();
    await system.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = values.out ?? join(root, 'test-results', quick ? 'bench-quick.json' : 'bench.json');
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  if (!quick) writeFileSync(join(root, 'BENCHMARKS.md'), renderMarkdown(report));
  process.stdout.write(`${JSON.stringify({ out, ingest: report.ingest.map((i) => ({ batch: i.batch, ratio: i.ratio })) })}\n`);
}

export function renderMarkdown(r: BenchReport): string {
  const rows = r.ingest.map(
    (i) =>
      `| collect endpoint, ${i.batch === 1 ? 'single events' : `batches of ${i.batch}`} | ${i.ours.requestsPerSecond} req/s = ${i.eventsPerSecond} events/s (p50 ${i.ours.latencyMs.p50} ms, p99 ${i.ours.latencyMs.p99} ms) | ${i.bare.requestsPerSecond} req/s = ${i.bareEventsPerSecond} events/s | **${i.ratio.toFixed(2)}x** | 0.6x |`,
  );
  return `# Benchmarks

Every figure comes from \`${r.command}\`, run on one machine, with its baseline measured in the
same invocation. Tests never assert timings.

- Date: ${r.date}
- Machine: ${r.cores} cores, ${r.cpu}
- Setup: the whole system in one process (local Kafka 3.9 broker as a separate JVM, embedded
  ClickHouse, ingest, aggregator, gateway); the load client runs on a worker thread of the
  bench process, 64 connections in a closed loop, ${r.quick ? 3 : 15} s per measurement.

## Ingest

A 202 from ingest means Kafka acknowledged the event (acks=all, idempotent producer); the
aggregator consumes and stores at the same time on the same cores. The baseline is a bare
\`node:http\` server that reads the body, parses the JSON and runs the same validation
(\`checkCollectPayload\`), then answers 202: no Kafka, no enrichment, no framework.

| Measurement | Clickstream | Baseline | Ratio | Goal |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

## Tracker

| Measurement | Value | Goal |
| --- | --- | --- |
| tracker script, minified | ${r.tracker.bytes} bytes | |
| tracker script, gzipped | ${r.tracker.gzipBytes} bytes | 1536 bytes (1.5 KB) |

## Not measured yet

The producer path against a raw kafkajs loop, the aggregator against a raw consumer loop,
freshness (202 to socket), ClickHouse inserts per second and history latency at 10 million
rows, the gateway's CPU with 1,000 sockets, and whole-system capacity are not measured yet
(issue 7). The load generator (\`npm run loadgen\`) is ready for them.
`;
}

await main();
