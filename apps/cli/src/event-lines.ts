import { createHash, randomBytes } from 'node:crypto';
import { checkCollectPayload, toTrackedEvent, type RequestFacts, type TrackedEvent } from '@clickstream/events';

/** What `produce` knows besides the line: there is no HTTP request, so no IP, User-Agent or country. */
export interface LineContext {
  receivedAt: number;
  /** CLOCK_SKEW_MS, as ingest clamps client timestamps. */
  clockSkewMs: number;
  /** COLLECT_MAX_BODY_BYTES: a line longer than a collect request may be is refused like one. */
  maxBytes: number;
  /** The registered sites when the gateway could be asked; undefined: not checked. */
  knownSites: ReadonlySet<string> | undefined;
}

export type LineResult = { kind: 'blank' } | { kind: 'event'; event: TrackedEvent; key: string } | { kind: 'rejected'; reason: string };

/** The one field a line may carry that the collect endpoint does not know: who the visitor is. */
export const VISITOR_FIELD = 'visitor';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A visitor id shaped like ingest's (32 hex digits). Ingest hashes the day's salt with the IP
 * and User-Agent; a line has neither, so a `visitor` name is hashed with the site instead (the
 * same name is the same visitor on every run), and a line without one is a new visitor.
 */
export function visitorIdOf(site: string, visitor: string | undefined): string {
  if (visitor === undefined) return randomBytes(16).toString('hex');
  return createHash('sha256').update(`clickstream-cli\u0000${site}\u0000${visitor}`).digest('hex').slice(0, 32);
}

/**
 * One line of `produce` input checked as the collect endpoint checks an event
 * (checkCollectPayload), then built into the record ingest would produce, keyed like ingest's
 * (`site:visitorId`, so one visitor's events stay in order on one partition).
 */
export function eventFromLine(line: string, context: LineContext): LineResult {
  if (line.trim() === '') return { kind: 'blank' };
  if (Buffer.byteLength(line) > context.maxBytes) return { kind: 'rejected', reason: `longer than ${context.maxBytes} bytes (COLLECT_MAX_BODY_BYTES)` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return { kind: 'rejected', reason: `not valid JSON (${(err as Error).message})` };
  }
  let visitor: string | undefined;
  if (isPlainObject(json) && VISITOR_FIELD in json) {
    const { [VISITOR_FIELD]: given, ...rest } = json;
    if (typeof given !== 'string' || given.length === 0 || given.length > 256) {
      return { kind: 'rejected', reason: `${VISITOR_FIELD}: expected a string of 1 to 256 characters` };
    }
    visitor = given;
    json = rest;
  }
  const check = checkCollectPayload(json);
  if (!check.ok) return { kind: 'rejected', reason: check.field ? `${check.field}: ${check.detail}` : check.detail };
  const { payload } = check;
  if (context.knownSites && !context.knownSites.has(payload.site)) return { kind: 'rejected', reason: `site: unknown site "${payload.site}"` };
  const facts: RequestFacts = {
    receivedAt: context.receivedAt,
    visitorId: visitorIdOf(payload.site, visitor),
    browser: null,
    os: null,
    device: 'unknown',
    // ingest flags a request without a User-Agent as a bot; an operator's events are meant to count
    isBot: false,
    country: null,
  };
  const event = toTrackedEvent(payload, facts, context.clockSkewMs);
  return { kind: 'event', event, key: `${event.site}:${event.visitorId}` };
}
