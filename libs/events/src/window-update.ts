import { z } from 'zod';

/**
 * Records on the aggregates topic, keyed by site:
 * - `window`: the running sums of one site's event-time window (1 s or 1 min) as seen by one
 *   partition. A receiver keeps, per partition, the partial with the highest offset and adds
 *   the partitions up.
 * - `presence`: the current visitors (last 5 and 30 minutes) of one site on one partition;
 *   a visitor is on one partition only, so the partitions' counts add up.
 * Version 3 carries sums only. Version 2 windows also carried a visitor sketch and per-value
 * breakdowns, which no receiver read; a v2 record is still decoded, to its sums, so a gateway
 * upgraded before the aggregators goes on showing their updates.
 */
const count = z.number().int().nonnegative();
const version = z.union([z.literal(3), z.literal(2)]);

export const windowMetricsSchema = z.object({
  pageviews: count,
  customEvents: count,
  botEvents: count,
  sessions: count,
  lateEvents: count,
});

export const windowUpdate = z.object({
  v: version,
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

export const presenceUpdate = z.object({
  v: version,
  kind: z.literal('presence'),
  site: z.string(),
  partition: count,
  /** The time the counts are for. */
  at: count,
  visitors5m: count,
  visitors30m: count,
});

export const aggregateUpdate = z.discriminatedUnion('kind', [windowUpdate, presenceUpdate]);

export type WindowUpdate = z.output<typeof windowUpdate>;
export type PresenceUpdate = z.output<typeof presenceUpdate>;
export type AggregateUpdate = z.output<typeof aggregateUpdate>;

/** Encodes a record of the current version. */
export function encodeAggregateUpdate(update: AggregateUpdate & { v: 3 }): Buffer {
  return Buffer.from(JSON.stringify(update));
}

/** Decodes a record of the aggregates topic (v3, or a v2 one to its sums); undefined for anything else. */
export function decodeAggregateUpdate(bytes: Buffer | null): AggregateUpdate | undefined {
  if (bytes === null) return undefined;
  try {
    const result = aggregateUpdate.safeParse(JSON.parse(bytes.toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
