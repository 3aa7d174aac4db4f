import { z } from 'zod';

/**
 * Records on the aggregates topic, version 2, keyed by site:
 * - `window`: the running figures of one site's event-time window (1 s or 1 min) as seen by
 *   one partition. A receiver keeps, per partition, the partial with the highest offset and
 *   merges the partitions: sums add up, visitor sketches union.
 * - `presence`: the current visitors (last 5 and 30 minutes) of one site on one partition;
 *   a visitor is on one partition only, so the partitions' counts add up.
 */
const count = z.number().int().nonnegative();

const visitorSketch = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exact'), hashes: z.array(z.string()) }),
  z.object({ kind: z.literal('hll'), p: z.number().int(), registers: z.string() }),
]);

export const windowMetricsSchema = z.object({
  pageviews: count,
  customEvents: count,
  botEvents: count,
  sessions: count,
  lateEvents: count,
  visitors: visitorSketch,
  breakdowns: z.record(z.string(), z.record(z.string(), count)),
});

export const windowUpdateV2 = z.object({
  v: z.literal(2),
  kind: z.literal('window'),
  site: z.string(),
  partition: count,
  windowStart: count,
  windowSizeMs: z.number().int().positive(),
  /** Offset of the newest event counted into this partial. */
  offset: z.string().regex(/^\d+$/),
  final: z.boolean(),
  metrics: windowMetricsSchema,
});

export const presenceUpdateV2 = z.object({
  v: z.literal(2),
  kind: z.literal('presence'),
  site: z.string(),
  partition: count,
  /** The time the counts are for. */
  at: count,
  visitors5m: count,
  visitors30m: count,
});

export const aggregateUpdate = z.discriminatedUnion('kind', [windowUpdateV2, presenceUpdateV2]);

export type WindowUpdate = z.output<typeof windowUpdateV2>;
export type PresenceUpdate = z.output<typeof presenceUpdateV2>;
export type AggregateUpdate = z.output<typeof aggregateUpdate>;

export function encodeAggregateUpdate(update: AggregateUpdate): Buffer {
  return Buffer.from(JSON.stringify(update));
}

/** Decodes a record of the aggregates topic; undefined for anything else (older versions included). */
export function decodeAggregateUpdate(bytes: Buffer | null): AggregateUpdate | undefined {
  if (bytes === null) return undefined;
  try {
    const result = aggregateUpdate.safeParse(JSON.parse(bytes.toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
