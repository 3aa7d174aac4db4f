import { CliError } from './cli-error.js';
import { parseDuration } from './duration.js';
import type { PartitionRange } from './kafka-session.js';

/** Where `tail` starts: the end of the log, its start, one offset on every partition, or a time. */
export type TailFrom = { now: true } | { earliest: true } | { offset: bigint } | { timestamp: number };

const EXPECTED = 'expected now, earliest, an offset (e.g. 1200), a time (e.g. 2026-11-25T10:00:00Z) or a duration ago (e.g. 10m)';

/** Reads --from; `now` is the time durations count back from. */
export function parseTailFrom(text: string | undefined, now: number): TailFrom {
  if (text === undefined || text === 'now') return { now: true };
  if (text === 'earliest') return { earliest: true };
  if (/^\d+$/.test(text)) return { offset: BigInt(text) };
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const timestamp = Date.parse(text);
    if (Number.isNaN(timestamp)) throw new CliError(`--from: "${text}" is not a valid time`);
    return { timestamp };
  }
  const ago = parseDuration(text);
  if (ago !== undefined) return { timestamp: now - ago };
  throw new CliError(`--from: ${EXPECTED}, got "${text}"`);
}

/**
 * The offset to start each partition at. An offset below a partition's log start begins at the
 * start; one past the end of a partition waits there, unless no partition read reaches it,
 * which is a mistake worth telling. `byTime` holds Kafka's answer for a time (its end when no
 * record is that recent).
 */
export function startOffsets(topic: string, from: TailFrom, ranges: readonly PartitionRange[], byTime: readonly { partition: number; offset: string }[] = []): Map<number, bigint> {
  if ('offset' in from) {
    const longest = ranges.reduce((max, r) => (r.high > max ? r.high : max), 0n);
    if (from.offset > longest) {
      const where = ranges.length === 1 ? `partition ${ranges[0]!.partition} ends at offset ${longest}` : `no partition goes past offset ${longest}`;
      throw new CliError(`--from: offset ${from.offset} is past the end of ${topic} (${where})`);
    }
  }
  return new Map(
    ranges.map((r) => {
      let offset: bigint;
      if ('now' in from) offset = r.high;
      else if ('earliest' in from) offset = r.low;
      else if ('offset' in from) offset = from.offset < r.low ? r.low : from.offset > r.high ? r.high : from.offset;
      else {
        const found = byTime.find((t) => t.partition === r.partition);
        offset = found ? BigInt(found.offset) : r.high;
      }
      return [r.partition, offset];
    }),
  );
}
