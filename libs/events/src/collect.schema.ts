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

/** At most this many properties on one custom event (Plausible's limit). */
export const MAX_PROPS = 30;
/** The longest property value, in characters (Plausible's limit). */
export const PROPERTY_VALUE_MAX = 2000;
/** The longest tag, in characters. */
export const TAG_MAX = 64;
/** The most engaged time one engagement event may report: a day. */
export const ENGAGED_MS_MAX = 86_400_000;

/** 9999-12-31T23:59:59.999Z, the latest time ClickHouse reads back as DateTime64. */
const LATEST_TIMESTAMP = 253_402_300_799_999;

/** A custom event property's name, as the collect API takes it. */
export const PROPERTY_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The longest custom event name the collect API takes. */
export const EVENT_NAME_MAX = 120;

const propKey = z
  .string()
  .regex(PROPERTY_KEY, { error: 'property names are 1-64 letters, digits, "_", ".", ":" or "-"' })
  .refine((k) => !FORBIDDEN_KEYS.has(k), { error: 'reserved property name' });

const propValue = z.union([text(PROPERTY_VALUE_MAX), z.number({ error: 'expected a string, number or boolean' }).finite(), z.boolean()], {
  error: `expected a string (at most ${PROPERTY_VALUE_MAX} characters), a finite number or a boolean`,
});

const props = z
  .record(propKey, propValue, { error: (issue) => (issue.code === 'invalid_type' ? 'expected an object of properties' : undefined) })
  .refine((p) => Object.keys(p).length <= MAX_PROPS, { error: `more than ${MAX_PROPS} properties` });

/** An ISO 4217 currency code. */
export const CURRENCY = /^[A-Z]{3}$/;
/** Revenue amounts are kept as Decimal(18, 6): at most 12 digits before the point and 6 after. */
export const REVENUE_DECIMAL = /^-?(0|[1-9]\d{0,11})(\.\d{1,6})?$/;

/**
 * A revenue amount as exact decimal text. A JSON number is taken by its shortest decimal form
 * (what the sender wrote: 10.29 stays "10.29"); more than 6 decimals, an exponent or more than
 * 12 integer digits is refused rather than rounded.
 */
const amount = z
  .union([z.string(), z.number().finite()], { error: 'expected a number or a decimal string' })
  .transform((a) => (typeof a === 'number' ? String(a) : a.trim()))
  .refine((a) => REVENUE_DECIMAL.test(a), { error: 'expected a decimal of at most 12 digits before the point and 6 after' })
  .transform((a) => (/^-0(\.0+)?$/.test(a) ? a.slice(1) : a));

const revenue = z.strictObject(
  {
    amount,
    currency: z.string({ error: 'expected a string' }).regex(CURRENCY, { error: 'expected an ISO 4217 code of 3 upper-case letters, e.g. EUR' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field' : 'expected an object { amount, currency }') },
);

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
  /** A free label kept with the event and filterable (Umami's `tag`). */
  tag: text(TAG_MAX).min(1, { error: 'must not be empty' }).optional(),
  /** Hash-routed pages: the stored path keeps the URL's fragment (`/#/about`), as Plausible's hash mode counts them. */
  hashRouting: z.boolean({ error: 'expected true or false' }).optional(),
};

const unknownField = { error: (issue: { code: string }) => (issue.code === 'unrecognized_keys' ? 'unknown field' : 'expected a JSON object') };

/** A page view may carry properties too (Plausible's custom properties for page views), filterable as any event's. */
const pageviewPayload = z.strictObject({ type: z.literal('pageview'), ...common, props: props.optional() }, unknownField);

const customEventPayload = z.strictObject(
  {
    type: z.literal('event'),
    ...common,
    name: text(EVENT_NAME_MAX).min(1, { error: 'must not be empty' }),
    props: props.optional(),
    revenue: revenue.optional(),
  },
  unknownField,
);

const wholeNumber = (min: number, max: number, what: string) =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(min, { error: `expected ${what}` })
    .max(max, { error: `expected ${what}` });

/** Sent when a page is hidden: how far it was scrolled and how long the visitor was engaged. Not a page view. */
const engagementPayload = z.strictObject(
  {
    type: z.literal('engagement'),
    ...common,
    scrollDepth: wholeNumber(0, 100, 'an integer percent from 0 to 100'),
    engagedMs: wholeNumber(0, ENGAGED_MS_MAX, `integer milliseconds from 0 to ${ENGAGED_MS_MAX}`),
  },
  unknownField,
);

/**
 * What a tracker sends: a page view (the default type), a custom event with a name, flat
 * properties and an optional revenue, or an engagement report of a page being left. Unknown
 * fields are refused so a typo shows up at once.
 */
export const collectPayloadV1 = z.discriminatedUnion('type', [pageviewPayload, customEventPayload, engagementPayload], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected "pageview", "event" or "engagement"' : 'expected a JSON object'),
});

export type CollectPayload = z.output<typeof collectPayloadV1>;

export type PayloadCheck =
  | { ok: true; payload: CollectPayload }
  | { ok: false; field: string | undefined; detail: string };

const KNOWN_TYPES = new Set(['pageview', 'event', 'engagement']);
/** Fields of some event types only: on another type they are refused with a message saying whose they are. */
type Owner = 'pageview' | 'event' | 'engagement';
const TYPE_FIELDS: readonly (readonly [string, readonly Owner[]])[] = [
  ['name', ['event']],
  ['props', ['event', 'pageview']],
  ['revenue', ['event']],
  ['scrollDepth', ['engagement']],
  ['engagedMs', ['engagement']],
];
const OWNER_TEXT: Readonly<Record<Owner, string>> = { pageview: 'a page view ("type": "pageview")', event: 'a custom event ("type": "event")', engagement: 'an engagement event ("type": "engagement")' };

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
  const type = body['type'] === undefined ? 'pageview' : body['type'];
  for (const [field, owners] of TYPE_FIELDS) {
    if (body[field] !== undefined && typeof type === 'string' && KNOWN_TYPES.has(type) && !owners.includes(type as Owner)) {
      return { ok: false, field, detail: `only ${owners.map((o) => OWNER_TEXT[o]).join(' or ')} carries ${field}` };
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
    (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined
      ? 'required'
      : issue.code === 'invalid_key'
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.message;
  return { ok: false, field: path === '' ? undefined : path, detail };
}
