import { join } from 'node:path';
import type { BlastResult } from '../http-blast.js';
import type { BenchContext } from '../support/bench-context.js';
import { runBlast } from '../support/blast.js';
import { profiled, type ProfileSummary } from '../support/cpu-profile.js';
import { goal, type Goal } from '../support/goals.js';
import { otherCpu, withCpu } from '../support/proc-cpu.js';
import { ratio } from '../support/stats.js';

/**
 * 5% malformed events mixed into normal traffic: the good events' throughput against a clean
 * run. Measured at the collect endpoint's capacity (64 connections in a closed loop, as in
 * section 1): at a rate below capacity an open-loop load would show 0.95x by construction.
 * Malformed events are refused with 400 (alone) or listed as rejected (in a batch) and each
 * is written to the dead-letter topic.
 */
export interface MalformedRow {
  batch: number;
  malformedShare: number;
  clean: BlastResult;
  dirty: BlastResult;
  ratio: number;
  /** Other work on the machine during the two measurements (the larger), % of one core. */
  otherCpu: number;
}

export interface MalformedResult {
  durationMs: number;
  rows: MalformedRow[];
  /** The main thread during a repeat of the single events with malformed ones mixed in. */
  profile: ProfileSummary | undefined;
  goals: Goal[];
}

export async function runMalformed(ctx: BenchContext): Promise<MalformedResult> {
  const durationMs = ctx.quick ? 1000 : 10_000;
  const malformedShare = 0.05;
  const rows: MalformedRow[] = [];
  for (const batch of [1, 20]) {
    const job = { url: ctx.collectUrl, connections: 64, durationMs, batch, seed: 7 + batch, countAccepted: true };
    const { result: clean, cpu: cleanCpu } = await withCpu(ctx.kafkaPid, () => runBlast(job));
    const { result: dirty, cpu: dirtyCpu } = await withCpu(ctx.kafkaPid, () => runBlast({ ...job, malformedShare }));
    const r = ratio(dirty.acceptedEventsPerSecond ?? 0, clean.acceptedEventsPerSecond ?? 0);
    rows.push({ batch, malformedShare, clean, dirty, ratio: r, otherCpu: Math.max(otherCpu(cleanCpu), otherCpu(dirtyCpu)) });
    ctx.log(`malformed, batch ${batch}: ${dirty.acceptedEventsPerSecond} good events/s vs clean ${clean.acceptedEventsPerSecond}`);
  }
  let profile: ProfileSummary | undefined;
  if (ctx.profile) {
    const job = { url: ctx.collectUrl, connections: 64, durationMs: ctx.quick ? 500 : 5000, batch: 1, seed: 8, countAccepted: true, malformedShare };
    ({ profile } = await profiled(() => runBlast(job), join(ctx.outDir, 'bench-malformed.cpuprofile')));
  }
  return { durationMs, rows, profile, goals: rows.map((r) => goal(`good events with 5% malformed vs clean, ${r.batch === 1 ? 'single events' : `batches of ${r.batch}`}`, r.ratio, '>=', 0.95, 'x')) };
}
