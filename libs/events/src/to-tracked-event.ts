import { createHash, randomUUID } from 'node:crypto';
import type { CollectPayload } from './collect.schema.js';
import { EVENT_SCHEMA_VERSION, type TrackedEvent } from './event.js';

/** What the server knows about the request that carried the event. */
export interface RequestFacts {
  receivedAt: number;
  visitorId: string;
  browser: string | null;
  os: string | null;
  device: string;
  isBot: boolean;
  country: string | null;
}

/**
 * The stored id of an event: derived from the client event id when there is one, so a
 * retried event keeps its id and is recognised downstream; random otherwise.
 */
export function eventIdOf(site: string, clientEventId: string | undefined): string {
  return clientEventId ? uuidOf(`${site}\u0000${clientEventId}`) : randomUUID();
}

/** A UUID (RFC 9562 version 8, custom) named by a text: the same text gives the same one. */
export function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The client clock is believed within `skewMs` of the server's; beyond, it is clamped and flagged. */
export function eventTimeOf(clientTime: number | undefined, receivedAt: number, skewMs: number): { eventTime: number; timeFlagged: boolean } {
  if (clientTime === undefined) return { eventTime: receivedAt, timeFlagged: false };
  if (clientTime < receivedAt - skewMs) return { eventTime: receivedAt - skewMs, timeFlagged: true };
  if (clientTime > receivedAt + skewMs) return { eventTime: receivedAt + skewMs, timeFlagged: true };
  return { eventTime: clientTime, timeFlagged: false };
}

const hostOf = (s: string | null): string | null => (s && URL.canParse(s) ? new URL(s).hostname.replace(/^www\./, '') : null);

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text ClickHouse can store: a lone surrogate becomes U+FFFD. The tracker's slice of a long title
 * can cut an emoji in two, and ClickHouse refuses a whole insert over one such character.
 */
function wellFormed(text: string): string {
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}
const wellFormedOrNull = (text: string | null): string | null => (text === null ? null : wellFormed(text));

/** Turns an accepted payload and the facts of its request into the record ingest produces. */
export function toTrackedEvent(payload: CollectPayload, facts: RequestFacts, clockSkewMs: number): TrackedEvent {
  const url = new URL(payload.url);
  const params = url.searchParams;
  const utm = (k: string): string | null => params.get(`utm_${k}`)?.slice(0, 256) || null;
  const referrerDomain = hostOf(payload.referrer);
  const { eventTime, timeFlagged } = eventTimeOf(payload.ts, facts.receivedAt, clockSkewMs);
  return {
    v: EVENT_SCHEMA_VERSION,
    id: eventIdOf(payload.site, payload.id),
    clientEventId: payload.id ?? null,
    type: payload.type,
    name: payload.type === 'event' ? wellFormed(payload.name) : null,
    props: payload.type !== 'engagement' && payload.props ? Object.fromEntries(Object.entries(payload.props).map(([k, v]) => [k, wellFormed(String(v))])) : {},
    site: payload.site,
    url: wellFormed(payload.url),
    hostname: url.hostname,
    // hash-routed pages (Plausible's hash mode): the fragment names the page
    path: payload.hashRouting === true ? wellFormed(url.pathname + url.hash) : url.pathname,
    referrer: wellFormedOrNull(payload.referrer),
    // a referrer on the same host is navigation inside the site, not a source of traffic
    referrerDomain: referrerDomain && referrerDomain !== url.hostname.replace(/^www\./, '') ? referrerDomain : null,
    title: wellFormedOrNull(payload.title ?? null),
    screen: payload.screen ?? null,
    language: payload.language ?? null,
    utm: { source: utm('source'), medium: utm('medium'), campaign: utm('campaign'), term: utm('term'), content: utm('content') },
    browser: facts.browser,
    os: facts.os,
    device: facts.device,
    isBot: facts.isBot,
    country: facts.country,
    visitorId: facts.visitorId,
    eventTime,
    clientTime: payload.ts ?? null,
    timeFlagged,
    receivedAt: facts.receivedAt,
    tag: payload.tag === undefined ? null : wellFormed(payload.tag),
    revenue: payload.type === 'event' && payload.revenue ? { amount: payload.revenue.amount, currency: payload.revenue.currency } : null,
    scrollDepth: payload.type === 'engagement' ? payload.scrollDepth : null,
    engagedMs: payload.type === 'engagement' ? payload.engagedMs : null,
  };
}
