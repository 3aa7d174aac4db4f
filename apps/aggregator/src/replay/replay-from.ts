import type { ReplayFrom } from './replay.service.js';

/** Reads a replay start as an operator types it: `earliest`, an offset (all partitions), or an ISO-8601 time. */
export function parseReplayFrom(text: string | undefined): ReplayFrom {
  if (text === undefined || text === '') throw new RangeError('from: required (earliest, an offset such as 1200, or a time such as 2026-11-25T10:00:00Z)');
  if (text === 'earliest') return { earliest: true };
  if (/^\d+$/.test(text)) return { offset: BigInt(text) };
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const timestamp = Date.parse(text);
    if (Number.isNaN(timestamp)) throw new RangeError(`from: "${text}" is not a valid time`);
    return { timestamp };
  }
  throw new RangeError(`from: expected earliest, an offset or an ISO-8601 time, got "${text}"`);
}
