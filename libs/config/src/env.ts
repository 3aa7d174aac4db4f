import { z } from 'zod';

/** Whole number read from an environment string, with bounds. */
export const int = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number between ${min} and ${max}` })
    .int({ error: `expected a whole number between ${min} and ${max}` })
    .min(min, { error: `expected a whole number between ${min} and ${max}` })
    .max(max, { error: `expected a whole number between ${min} and ${max}` });

export const port = () => int(0, 65535);

export const httpUrl = () =>
  z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).transform((u) => u.replace(/\/+$/, ''));

/** Kafka topic names: the broker's own rule (legal characters, at most 249). */
export const topicName = () =>
  z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, { error: 'expected a Kafka topic name: letters, digits, ".", "_" or "-"' });

/** Marks a variable whose value must never be printed, not even in a config error. */
export const secret = <T extends z.ZodType>(schema: T): T => schema.meta({ secret: true });
