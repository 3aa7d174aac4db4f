import { z } from 'zod';
import { CURRENCY, REVENUE_DECIMAL, SITE_ID, siteId } from './collect.schema.js';

export const EVENT_SCHEMA_VERSION = 3;

const utm = z.object({
  source: z.string().nullable(),
  medium: z.string().nullable(),
  campaign: z.string().nullable(),
  term: z.string().nullable(),
  content: z.string().nullable(),
});

/** Version 2: page views and custom events, no tag, revenue or engagement. Upgraded to 3 on read. */
export const trackedEventV2 = z.object({
  v: z.literal(2),
  id: z.uuid(),
  clientEventId: z.string().nullable(),
  type: z.enum(['pageview', 'event']),
  name: z.string().nullable(),
  props: z.record(z.string(), z.string()),
  site: siteId,
  url: z.string(),
  hostname: z.string(),
  path: z.string(),
  referrer: z.string().nullable(),
  referrerDomain: z.string().nullable(),
  title: z.string().nullable(),
  screen: z.string().nullable(),
  language: z.string().nullable(),
  utm,
  browser: z.string().nullable(),
  os: z.string().nullable(),
  device: z.string(),
  isBot: z.boolean(),
  country: z.string().nullable(),
  visitorId: z.string(),
  eventTime: z.number().int().nonnegative(),
  clientTime: z.number().int().nonnegative().nullable(),
  timeFlagged: z.boolean(),
  receivedAt: z.number().int().nonnegative(),
});

const revenue = z.object({ amount: z.string().regex(REVENUE_DECIMAL), currency: z.string().regex(CURRENCY) });

/**
 * The record on the events topic, version 3. `eventTime` is when it happened (event time,
 * what windows are built on); `receivedAt` is when ingest accepted it (processing time);
 * `clientTime` is what the browser said, kept even when it was clamped (`timeFlagged`).
 * Version 3 adds engagement events (`scrollDepth` and `engagedMs`, null on other types), a
 * `tag`, and a custom event's `revenue` as exact decimal text with its currency.
 */
export const trackedEventV3 = trackedEventV2.extend({
  v: z.literal(3),
  type: z.enum(['pageview', 'event', 'engagement']),
  tag: z.string().nullable(),
  revenue: revenue.nullable(),
  scrollDepth: z.number().int().min(0).max(100).nullable(),
  engagedMs: z.number().int().nonnegative().nullable(),
});

/** Version 1 records (the walking skeleton's page views) are upgraded on read. */
const trackedEventV1 = z.object({
  v: z.literal(1),
  id: z.uuid(),
  type: z.literal('pageview'),
  site: siteId,
  url: z.string(),
  path: z.string(),
  referrer: z.string().nullable(),
  eventTime: z.number().int().nonnegative(),
  receivedAt: z.number().int().nonnegative(),
});

export type TrackedEvent = z.output<typeof trackedEventV3>;
export type EventRevenue = z.output<typeof revenue>;

export class EventDecodeError extends Error {
  constructor(readonly detail: string) {
    super(`undecodable event: ${detail}`);
    this.name = 'EventDecodeError';
  }
}

export function encodeEvent(event: TrackedEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

const NO_V3_FIELDS = { tag: null, revenue: null, scrollDepth: null, engagedMs: null } as const;

function upgradeV2(e: z.output<typeof trackedEventV2>): TrackedEvent {
  return { ...e, v: 3, ...NO_V3_FIELDS };
}

function upgradeV1(e: z.output<typeof trackedEventV1>): TrackedEvent {
  const url = URL.canParse(e.url) ? new URL(e.url) : undefined;
  return {
    v: 3,
    id: e.id,
    clientEventId: null,
    type: 'pageview',
    name: null,
    props: {},
    site: e.site,
    url: e.url,
    hostname: url?.hostname ?? '',
    path: e.path,
    referrer: e.referrer,
    referrerDomain: null,
    title: null,
    screen: null,
    language: null,
    utm: { source: null, medium: null, campaign: null, term: null, content: null },
    browser: null,
    os: null,
    device: 'unknown',
    isBot: false,
    country: null,
    visitorId: '',
    eventTime: e.eventTime,
    clientTime: null,
    timeFlagged: false,
    receivedAt: e.receivedAt,
    ...NO_V3_FIELDS,
  };
}

type JsonObject = Record<string, unknown>;
const isObject = (x: unknown): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);
const isText = (x: unknown): boolean => typeof x === 'string';
const isTextOrNull = (x: unknown): boolean => x === null || typeof x === 'string';
const isCount = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
/** The pattern z.uuid() checks (versions 1-8 with the RFC variant, and the nil and max UUIDs). */
const UUID = z.regexes.uuid();
const V3_FIELDS = Object.keys(trackedEventV3.shape).length;
const UTM_FIELDS = Object.keys(utm.shape).length;

/** Own keys of a parsed JSON object, none of them one that zod would treat apart. */
function plainKeyCount(o: JsonObject): number {
  let n = 0;
  for (const key in o) {
    if (key === '__proto__') return -1;
    n += 1;
  }
  return n;
}

const isIntIn = (x: unknown, max: number): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= max;

function isWellFormedRevenue(r: unknown): boolean {
  if (r === null) return true;
  if (!isObject(r) || plainKeyCount(r) !== 2) return false;
  const { amount, currency } = r;
  return typeof amount === 'string' && REVENUE_DECIMAL.test(amount) && typeof currency === 'string' && CURRENCY.test(currency);
}

/**
 * A version 3 record that the schema above takes exactly as it is: every field present with its
 * type and range, and nothing more. The aggregator decodes every record, and this check costs a
 * fraction of the schema's parse (which also copies the object); anything it does not pass,
 * however slightly off, goes through the schema, which accepts or refuses it with the reason.
 * It must never pass a record the schema refuses (event.spec.ts holds it to that).
 */
function isWellFormedV3(j: JsonObject): boolean {
  const { utm: u, props: p } = j;
  if (plainKeyCount(j) !== V3_FIELDS || !isObject(u) || !isObject(p)) return false;
  if (plainKeyCount(u) !== UTM_FIELDS || !isTextOrNull(u['source']) || !isTextOrNull(u['medium']) || !isTextOrNull(u['campaign']) || !isTextOrNull(u['term']) || !isTextOrNull(u['content'])) return false;
  if (plainKeyCount(p) < 0) return false;
  for (const key in p) if (typeof p[key] !== 'string') return false;
  return (
    j['v'] === 3 &&
    typeof j['id'] === 'string' && UUID.test(j['id']) &&
    isTextOrNull(j['clientEventId']) &&
    (j['type'] === 'pageview' || j['type'] === 'event' || j['type'] === 'engagement') &&
    isTextOrNull(j['tag']) && isWellFormedRevenue(j['revenue']) &&
    (j['scrollDepth'] === null || isIntIn(j['scrollDepth'], 100)) && (j['engagedMs'] === null || isCount(j['engagedMs'])) &&
    isTextOrNull(j['name']) &&
    typeof j['site'] === 'string' && SITE_ID.test(j['site']) &&
    isText(j['url']) && isText(j['hostname']) && isText(j['path']) &&
    isTextOrNull(j['referrer']) && isTextOrNull(j['referrerDomain']) && isTextOrNull(j['title']) && isTextOrNull(j['screen']) && isTextOrNull(j['language']) &&
    isTextOrNull(j['browser']) && isTextOrNull(j['os']) && isText(j['device']) &&
    typeof j['isBot'] === 'boolean' &&
    isTextOrNull(j['country']) && isText(j['visitorId']) &&
    isCount(j['eventTime']) && (j['clientTime'] === null || isCount(j['clientTime'])) &&
    typeof j['timeFlagged'] === 'boolean' && isCount(j['receivedAt'])
  );
}

/** Decodes a record from the events topic; anything not matching a known version is an EventDecodeError. */
export function decodeEvent(bytes: Buffer | null): TrackedEvent {
  if (bytes === null) throw new EventDecodeError('empty record');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new EventDecodeError('not JSON');
  }
  if (isObject(json) && isWellFormedV3(json)) return json as TrackedEvent;
  const version = typeof json === 'object' && json !== null ? (json as { v?: unknown }).v : undefined;
  if (version === 1) return upgradeV1(parsed(trackedEventV1, json));
  if (version === 2) return upgradeV2(parsed(trackedEventV2, json));
  return parsed(trackedEventV3, json);
}

function parsed<T extends z.ZodType>(schema: T, json: unknown): z.output<T> {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EventDecodeError(`${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
