import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { projectRoot } from '@clickstream/infra';
import { goal, type Goal } from '../support/goals.js';

export interface TrackerResult {
  bytes: number;
  gzipBytes: number;
  goals: Goal[];
}

/** (7) Size of the built tracker script, minified and gzipped. */
export async function runTracker(): Promise<TrackerResult> {
  const tracker = readFileSync(join(projectRoot(), 'dist', 'tracker', 'tracker.js'));
  const gzipBytes = gzipSync(tracker, { level: 9 }).length;
  return { bytes: tracker.length, gzipBytes, goals: [goal('tracker script, gzipped', gzipBytes, '<=', 1536, 'bytes')] };
}
