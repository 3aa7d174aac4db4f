import { join } from 'node:path';
import type { BlastResult } from '../http-blast.js';
import { settled, type BenchContext } from '../support/bench-context.js';
import { runBlast } from '../support/blast.js';
import { profiled, type ProfileSummary } from '../support/cpu-profile.js';
import { batchName, goal, type Goal } from '../support/goals.js';
import { otherCpu, withCpu } from '../support/proc-cpu.js';
import { ratio } from '../support/stats.js';

/**
 * 5% malformed events mixed into normal traffic: the good events' throughput against a clean
 * run. Measured at the collect endpoint's capacity (64 connections in a closed loop, as in
 * section 1): at a rate below capacity an open-loop load would show 0.95x by construction.
 * Malformed events are refused with 400 (alone) or listed as rejected (in a batch) and each
 * is written to the dead-letter topic. Clean and dirty runs alternate in rounds.
 */
export interface MalformedRow {
  batch: number;
  malformedShare: number;
  /** The rounds, alternating clean and dirty so a drift of the machine falls on both. */
  clean: BlastResult[];
  dirty: BlastResult[];
  /** Good events accepted per second, over the rounds. */
  cleanEventsPerSecond: number;
  dirtyEventsPerSecond: number;
  ratio: number;
  /** Other work on the machine during the two measurements (the larger), % of one core. */
  otherCpu: number;
}

export interface MalformedResult {
  durationMs: number;
  rows: MalformedRow[];
  /** The main thread during a repeat of the dirty run of the request size with the lowest ratio. */
  profile: ProfileSummary | undefined;
  profiledBatch: number;
  goals: Goal[];
}

export async function runMalformed(ctx: BenchContext): Promise<MalformedResult> {
  const durationMs = ctx.quick ? 1000 : 10_000;
  const malformedShare = 0.05;
  const rows: MalformedRow[] = [];
  const rounds = ctx.quick ? 1 : 2;
  for (const batch of [1, 20]) {
    const job = { url: ctx.collectUrl, connections: 64, durationMs: durationMs / rounds, batch, seed: 7 + batch, countAccepted: true };
    const clean: BlastResult[] = [];
    const dirty: BlastResult[] = [];
    let noise = 0;
    for (let round = 0; round < rounds; round++) {
      // each measurement starts with the aggregator caught up with the previous one's events
      await settled(ctx);
      const c = await withCpu(ctx.pids, () => runBlast({ ...job, seed: job.seed + 100 * round }));
      await settled(ctx);
      const d = await withCpu(ctx.pids, () => runBlast({ ...job, seed: job.seed + 100 * round, malformedShare }));
      clean.push(c.result);
      dirty.push(d.result);
      noise = Math.max(noise, otherCpu(c.cpu), otherCpu(d.cpu));
    }
    // rounds of equal length: the mean of their rates is the rate over all of them
    const mean = (rs: BlastResult[]) => Math.round(rs.reduce((n, b) => n + (b.acceptedEventsPerSecond ?? 0), 0) / rs.length);
    const cleanEventsPerSecond = mean(clean);
    const dirtyEventsPerSecond = mean(dirty);
    rows.push({ batch, malformedShare, clean, dirty, cleanEventsPerSecond, dirtyEventsPerSecond, ratio: ratio(dirtyEventsPerSecond, cleanEventsPerSecond), otherCpu: noise });
    ctx.log(`malformed, batch ${batch}: ${dirtyEventsPerSecond} good events/s vs clean ${cleanEventsPerSecond}`);
  }
  let profile: ProfileSummary | undefined;
  const worst = rows.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  if (ctx.profile) {
    const job = { url: ctx.collectUrl, connections: 64, durationMs: ctx.quick ? 500 : 5000, batch: worst.batch, seed: 8, countAccepted: true, malformedShare };
    await settled(ctx);
    ({ profile } = await profiled(() => runBlast(job), join(ctx.outDir, 'bench-malformed.cpuprofile')));
  }
  return { durationMs, rows, profile, profiledBatch: worst.batch, goals: rows.map((r) => goal(`good events with 5% malformed vs clean, ${batchName(r.batch)}`, r.ratio, '>=', 0.95, 'x')) };
}
