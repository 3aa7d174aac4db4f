import { join } from 'node:path';
import type { AppConfig } from '@clickstream/config';
import { startIngest } from '../../../../apps/ingest/src/ingest.app.js';
import { startBareCollectServer } from '../bare-collect-server.js';
import type { BlastResult } from '../http-blast.js';
import { settled, type BenchContext } from '../support/bench-context.js';
import { runBlast } from '../support/blast.js';
import { profiled, type ProfileSummary } from '../support/cpu-profile.js';
import { batchName, goal, type Goal } from '../support/goals.js';
import { otherCpu, withCpu, type CpuShares } from '../support/proc-cpu.js';
import { extraRuntime } from '../support/second-app.js';
import { ratio } from '../support/stats.js';

export interface IngestRow {
  batch: number;
  connections: number;
  durationMs: number;
  bare: BlastResult;
  ours: BlastResult;
  ratio: number;
  eventsPerSecond: number;
  bareEventsPerSecond: number;
  /**
   * Reports of earlier versions, whose apps ran in the bench process: its main thread during our
   * measurement, % of one core (the client runs on another thread).
   */
  mainThread?: number;
  /** Every part's CPU during our measurement (the app processes, the broker, ClickHouse). */
  cpu?: CpuShares;
  /** The Kafka broker during our measurement, % of one core. */
  kafka: number | null;
  /** Other work on the machine during the row's two measurements (the larger), % of one core. */
  otherCpu: number;
}

export interface IngestResult {
  rows: IngestRow[];
  /** An ingest instance in the bench process (the real startIngest, on the same broker and ClickHouse) under the profiler, single events. */
  profile: ProfileSummary | undefined;
  goals: Goal[];
}

/**
 * (1) The collect endpoint against a bare node:http server doing the same parse and
 * validation: 64 connections in a closed loop, single events and batches of 20.
 */
export async function runIngest(ctx: BenchContext): Promise<IngestResult> {
  const durationMs = ctx.quick ? 1000 : 15_000;
  const bare = await startBareCollectServer();
  const rows: IngestRow[] = [];
  try {
    for (const batch of [1, 20]) {
      const connections = 64;
      const job = { connections, durationMs, batch, seed: batch };
      // each measurement starts with the aggregator caught up: the events of the previous one are stored first
      await settled(ctx);
      const { result: bareResult, cpu: bareCpu } = await withCpu(ctx.pids, () => runBlast({ ...job, url: bare.url }));
      await settled(ctx);
      const { result: ours, cpu } = await withCpu(ctx.pids, () => runBlast({ ...job, url: ctx.collectUrl }));
      rows.push({
        batch,
        connections,
        durationMs,
        bare: bareResult,
        ours,
        ratio: ratio(ours.requestsPerSecond, bareResult.requestsPerSecond),
        eventsPerSecond: ours.requestsPerSecond * batch,
        bareEventsPerSecond: bareResult.requestsPerSecond * batch,
        cpu,
        kafka: cpu.kafka,
        otherCpu: Math.max(otherCpu(cpu), otherCpu(bareCpu)),
      });
      ctx.log(`ingest, batch ${batch}: ${ours.requestsPerSecond} req/s vs bare ${bareResult.requestsPerSecond} req/s`);
    }
  } finally {
    await bare.close();
  }
  let profile: ProfileSummary | undefined;
  if (ctx.profile) {
    // the system's ingest runs in processes of its own; the profiler sees this process, so a second ingest runs here
    const config: AppConfig = { ...ctx.system.config, http: { ...ctx.system.config.http, ingestPort: 0 } };
    const ingest = await startIngest(await extraRuntime(ctx, config));
    try {
      const job = { connections: 64, durationMs: ctx.quick ? 500 : 5000, batch: 1, seed: 1, url: `${ingest.url}${config.ingest.collectPath}` };
      await settled(ctx);
      ({ profile } = await profiled(() => runBlast(job), join(ctx.outDir, 'bench-ingest.cpuprofile')));
    } finally {
      await ingest.close();
    }
  }
  return { rows, profile, goals: rows.map((r) => goal(`collect endpoint vs bare server, ${batchName(r.batch)}`, r.ratio, '>=', 0.6, 'x')) };
}
