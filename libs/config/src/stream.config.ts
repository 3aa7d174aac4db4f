import { z } from 'zod';
import { int } from './env.js';

export const streamEnv = z.object({
  WINDOW_LATENESS_MS: int(0, 3_600_000)
    .default(5000)
    .describe('Allowed lateness: a window closes when the partition watermark passes its end by this much. Later events still count and are flagged late.'),
  SESSION_TIMEOUT_MINUTES: int(1, 24 * 60).default(30).describe('Inactivity that ends a visitor session.'),
  LIVE_PUBLISH_INTERVAL_MS: int(10, 60_000).default(100).describe('An open live window is published to the aggregates topic at most this often.'),
  AGGREGATOR_FLUSH_ROWS: int(1, 1_000_000).default(10_000).describe('The aggregator writes to ClickHouse when this many rows are buffered or AGGREGATOR_FLUSH_INTERVAL_MS has passed, whichever comes first.'),
  AGGREGATOR_FLUSH_INTERVAL_MS: int(10, 60_000).default(2000).describe('Longest time a buffered row waits for its ClickHouse insert (see AGGREGATOR_FLUSH_ROWS).'),
  AGGREGATOR_CRASH_AFTER_INSERTS: int(0, 1_000_000)
    .default(0)
    .describe('Testing only: the aggregator kills itself (SIGKILL) right after its Nth ClickHouse insert, before committing, so tests can prove exact counts after a crash. 0: off.'),
  RAW_EVENTS_TTL_DAYS: int(0, 36_500).default(0).describe('Days raw events are kept in ClickHouse (0: forever). Rollups are kept.'),
});

export interface StreamConfig {
  allowedLatenessMs: number;
  sessionGapMs: number;
  publishIntervalMs: number;
  flushRows: number;
  flushIntervalMs: number;
  rawTtlDays: number;
  crashAfterInserts: number;
}

export const toStreamConfig = (env: z.infer<typeof streamEnv>): StreamConfig => ({
  allowedLatenessMs: env.WINDOW_LATENESS_MS,
  sessionGapMs: env.SESSION_TIMEOUT_MINUTES * 60_000,
  publishIntervalMs: env.LIVE_PUBLISH_INTERVAL_MS,
  flushRows: env.AGGREGATOR_FLUSH_ROWS,
  flushIntervalMs: env.AGGREGATOR_FLUSH_INTERVAL_MS,
  rawTtlDays: env.RAW_EVENTS_TTL_DAYS,
  crashAfterInserts: env.AGGREGATOR_CRASH_AFTER_INSERTS,
});
