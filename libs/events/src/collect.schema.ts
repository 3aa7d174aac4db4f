import { z } from 'zod';

/** Site ids appear in URLs, topic keys and room names: keep them plain. */
export const SITE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const siteId = z
  .string({ error: 'expected a string' })
  .regex(SITE_ID, { error: 'expected 1-64 letters, digits, ".", "_" or "-"' });

const text = (max: number) => z.string({ error: 'expected a string' }).max(max, { error: `longer than ${max} characters` });

const pageUrl = text(2048).refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), { error: 'expected an absolute http(s) URL' });

/** Keys that would reach an object's prototype if ever assigned: refused outright. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const MAX_PROPS = 20;

/** 9999-12-31T23:59:59.999Z, the latest time ClickHouse reads back as DateTime64. */
const LATEST_TIMESTAMP = 253_402_300_799_999;

/** A custom event property's name, as the collect API takes it. */
export const PROPERTY_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The longest custom event name the collect API takes. */
export const EVENT_NAME_MAX = 64;

const propKey = z
  .string()
  .regex(PROPERTY_KEY, { error: 'property names are 1-64 letters, digits, "_", ".", ":" or "-"' })
  .refine((k) => !FORBIDDEN_KEYS.has(k), { error: 'reserved property name' });

const propValue = z.union([text(256), z.number({ error: 'expected a string, number or boolean' }).finite(), z.boolean()], {
  error: 'expected a string (at most 256 characters), a finite number or a boolean',
});

const props = z
  .record(propKey, propValue, { error: (issue) => (issue.code === 'invalid_type' ? 'expected an object of properties' : undefined) })
  .refine((p) => Object.keys(p).length <= MAX_PROPS, { error: `more than ${MAX_PROPS} properties` });

/** Fields every event may carry. */
const common = {
  site: siteId,
  url: pageUrl,
  referrer: text(2048)
    .nullish()
    .transform((r) => (r ? r : null)),
  title: text(512).optional(),
  screen: z
    .string({ error: 'expected a string' })
    .regex(/^\d{1,5}x\d{1,5}$/, { error: 'expected WIDTHxHEIGHT, e.g. 1920x1080' })
    .optional(),
  language: z
    .string({ error: 'expected a string' })
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/, { error: 'expected a language tag, e.g. en-US' })
    .optional(),
  /** Client event id: a retried event carries the same one, so it is stored once. */
  id: z
    .string({ error: 'expected a string' })
    .regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'expected 8-64 letters, digits, "_" or "-"' })
    .optional(),
  /** Client timestamp, epoch milliseconds, up to the last instant of year 9999: ClickHouse refuses a later one, and with it the whole insert. */
  ts: z.number({ error: 'expected epoch milliseconds' }).int({ error: 'expected epoch milliseconds' }).min(0, { error: 'expected epoch milliseconds' }).max(LATEST_TIMESTAMP, { error: 'expected epoch milliseconds' }).optional(),
};

const unknownField = { error: (issue: { code: string }) => (issue.code === 'unrecognized_keys' ? 'unknown field' : 'expected a JSON object') };

const pageviewPayload = z.strictObject({ type: z.literal('pageview'), ...common }, unknownField);

const customEventPayload = z.strictObject(
  {
    type: z.literal('event'),
    ...common,
    name: text(EVENT_NAME_MAX).min(1, { error: 'must not be empty' }),
    props: props.optional(),
  },
  unknownField,
);

/**
 * What a tracker sends, version 1: a page view (the default type) or a custom event with a
 * name and flat properties. Unknown fields are refused so a typo shows up at once.
 */
export const collectPayloadV1 = z.discriminatedUnion('type', [pageviewPayload, customEventPayload], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected "pageview" or "event"' : 'expected a JSON object'),
});

export type CollectPayload = z.output<typeof collectPayloadV1>;

export type PayloadCheck =
  | { ok: true; payload: CollectPayload }
  | { ok: false; field: string | undefined; detail: string };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one parsed JSON event; on failure names the first offending field. */
export function checkCollectPayload(body: unknown): PayloadCheck {
  if (!isPlainObject(body)) return { ok: false, field: undefined, detail: 'expected a JSON object' };
  for (const key of Object.keys(body)) {
    if (FORBIDDEN_KEYS.has(key)) return { ok: false, field: key, detail: 'unknown field' };
  }
  const props = body['props'];
  if (isPlainObject(props)) {
    for (const key of Object.keys(props)) {
      if (FORBIDDEN_KEYS.has(key)) return { ok: false, field: `props.${key}`, detail: 'reserved property name' };
    }
  }
  const input = body['type'] === undefined ? { ...body, type: 'pageview' } : body;
  const result = collectPayloadV1.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, payload: result.data };
  const issue = result.error.issues[0];
  if (!issue) return { ok: false, field: undefined, detail: 'invalid event' };
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const path = [...issue.path, ...keys.slice(0, 1)].map(String).join('.');
  const detail =
    issue.code === 'invalid_type' && issue.input === undefined
      ? 'required'
      : issue.code === 'invalid_key'
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.message;
  return { ok: false, field: path === '' ? undefined : path, detail };
}
