import { z } from 'zod';

/**
 * A window update on the aggregates topic: the running count of one site's 1-second
 * event-time window as seen by one partition. Partials from different partitions add up.
 */
export const windowUpdateV1 = z.object({
  v: z.literal(1),
  site: z.string(),
  partition: z.number().int().nonnegative(),
  windowStart: z.number().int().nonnegative(),
  windowSizeMs: z.number().int().positive(),
  pageviews: z.number().int().nonnegative(),
  /** Offset of the last event counted into this partial: a receiver keeps the newest. */
  offset: z.string(),
  final: z.boolean(),
});

export type WindowUpdate = z.output<typeof windowUpdateV1>;

export function encodeWindowUpdate(update: WindowUpdate): Buffer {
  return Buffer.from(JSON.stringify(update));
}

export function decodeWindowUpdate(bytes: Buffer | null): WindowUpdate | undefined {
  if (bytes === null) return undefined;
  try {
    const result = windowUpdateV1.safeParse(JSON.parse(bytes.toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
