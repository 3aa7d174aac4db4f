import type { PartitionRange } from './kafka-session.js';

export interface GroupPartitionLag {
  partition: number;
  /** The group's committed offset (the next it reads); undefined when it has committed none. */
  committed: bigint | undefined;
  end: bigint;
  /** Records between where the group resumes (its commit, else the log start) and the end. */
  lag: bigint;
}

/** A group's lag per partition from the topic's offsets and the group's commits (Kafka reports "-1" for none). */
export function groupLag(ranges: readonly PartitionRange[], commits: readonly { partition: number; offset: string }[]): GroupPartitionLag[] {
  const byPartition = new Map(commits.filter((c) => c.offset !== '-1').map((c) => [c.partition, BigInt(c.offset)]));
  return ranges.map((r) => {
    const committed = byPartition.get(r.partition);
    const from = committed ?? r.low;
    return { partition: r.partition, committed, end: r.high, lag: r.high > from ? r.high - from : 0n };
  });
}

export const totalLag = (rows: readonly { lag: bigint }[]): bigint => rows.reduce((sum, r) => sum + r.lag, 0n);
