import { z } from 'zod';
import { siteId } from './collect.schema.js';

export const EVENT_SCHEMA_VERSION = 2;

const utm = z.object({
  source: z.string().nullable(),
  medium: z.string().nullable(),
  campaign: z.string().nullable(),
  term: z.string().nullable(),
  content: z.string().nullable(),
});

/**
 * The record on the events topic, version 2. `eventTime` is when it happened (event time,
 * what windows are built on); `receivedAt` is when ingest accepted it (processing time);
 * `clientTime` is what the browser said, kept even when it was clamped (`timeFlagged`).
 */
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

export type TrackedEvent = z.output<typeof trackedEventV2>;

export class EventDecodeError extends Error {
  constructor(readonly detail: string) {
    super(`undecodable event: ${detail}`);
    this.name = 'EventDecodeError';
  }
}

export function encodeEvent(event: TrackedEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

function upgradeV1(e: z.output<typeof trackedEventV1>): TrackedEvent {
  const url = URL.canParse(e.url) ? new URL(e.url) : undefined;
  return {
    v: 2,
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
  };
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
  const version = typeof json === 'object' && json !== null ? (json as { v?: unknown }).v : undefined;
  const schema = version === 1 ? trackedEventV1 : trackedEventV2;
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EventDecodeError(`${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data.v === 1 ? upgradeV1(result.data) : result.data;
}
