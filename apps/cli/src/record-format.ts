import { decodeAggregateUpdate, decodeEvent, EventDecodeError, type AggregateUpdate, type TrackedEvent } from '@clickstream/events';
import { formatDuration } from './duration.js';
import type { TopicRole } from './topic-roles.js';

/** One record read from a topic. */
export interface TailRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Kafka's record timestamp (append time of the producer), ms since epoch. */
  timestamp: number;
  key: string | null;
  value: Buffer | null;
}

export interface RenderedRecord {
  /** The site the record is about, when it says: what --site filters on. */
  site: string | undefined;
  /** One human-readable line. */
  text: string;
  /** One JSON line: where the record sits, and its decoded value (or its text and why it did not decode). */
  json: Record<string, unknown>;
}

const MAX_TEXT = 300;
const iso = (ms: number): string => new Date(ms).toISOString();
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

/** Decodes a record as its topic's role says and renders it both ways. */
export function renderRecord(role: TopicRole | undefined, record: TailRecord): RenderedRecord {
  const where = `p${record.partition}@${record.offset}`;
  const meta = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: iso(record.timestamp), key: record.key };
  const raw = record.value?.toString('utf8') ?? '';
  if (role === 'events') {
    try {
      const event = decodeEvent(record.value);
      return { site: event.site, text: `${where}  ${eventText(event)}`, json: { ...meta, value: event } };
    } catch (err) {
      const detail = err instanceof EventDecodeError ? err.detail : (err as Error).message;
      return undecodable(where, meta, raw, detail, record.key?.split(':')[0]);
    }
  }
  if (role === 'aggregates') {
    const update = decodeAggregateUpdate(record.value);
    if (!update) return undecodable(where, meta, raw, 'not an aggregate update of a known version', record.key ?? undefined);
    return { site: update.site, text: `${where}  ${aggregateText(update)}`, json: { ...meta, value: update } };
  }
  if (role === 'dead-letter') {
    const letter = parseObject(raw);
    if (!letter) return undecodable(where, meta, raw, 'not JSON', undefined);
    // ingest keys a dead letter by its site ("unknown" when it had none); the aggregator by topic:partition:offset
    const site = letter['source'] === 'ingest' && record.key !== 'unknown' ? (record.key ?? undefined) : undefined;
    return { site, text: `${where}  ${deadLetterText(letter, record.timestamp)}`, json: { ...meta, value: letter } };
  }
  const value = parseObject(raw) ?? raw;
  return { site: record.key?.split(':')[0], text: `${where}  ${iso(record.timestamp)}  key ${record.key ?? '(none)'}  ${clip(raw)}`, json: { ...meta, value } };
}

function undecodable(where: string, meta: Record<string, unknown>, raw: string, detail: string, site: string | undefined): RenderedRecord {
  return { site, text: `${where}  undecodable (${detail}): ${clip(raw)}`, json: { ...meta, value: raw, error: detail } };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function eventText(e: TrackedEvent): string {
  const props = Object.keys(e.props).length > 0 ? ` ${JSON.stringify(e.props)}` : '';
  const what =
    e.type === 'event'
      ? `event ${e.name ?? ''}${props}${e.revenue ? ` revenue ${e.revenue.amount} ${e.revenue.currency}` : ''}`
      : e.type === 'engagement'
        ? `engagement scrolled ${e.scrollDepth ?? 0}% engaged ${e.engagedMs ?? 0} ms`
        : `pageview${props}`;
  const parts = [iso(e.eventTime), e.site, what, e.url];
  if (e.referrerDomain) parts.push(`from ${e.referrerDomain}`);
  if (e.utm.source) parts.push(`utm_source ${e.utm.source}`);
  const agent = [e.browser, e.os].filter((x) => x !== null).join('/');
  if (agent) parts.push(agent);
  if (e.country) parts.push(e.country);
  parts.push(`visitor ${e.visitorId.slice(0, 8)}`);
  if (e.isBot) parts.push('bot');
  if (e.timeFlagged) parts.push(`clock clamped (client said ${e.clientTime === null ? '?' : iso(e.clientTime)})`);
  return parts.join('  ');
}

function aggregateText(u: AggregateUpdate): string {
  if (u.kind === 'presence') return `presence  ${iso(u.at)}  ${u.site}  visitors 5m ${u.visitors5m}  30m ${u.visitors30m}  (events partition ${u.partition})`;
  const m = u.metrics;
  return [
    `window ${formatDuration(u.windowSizeMs)}  ${iso(u.windowStart)}  ${u.site}`,
    `pageviews ${m.pageviews}  events ${m.customEvents}  sessions ${m.sessions}  bots ${m.botEvents}  late ${m.lateEvents}`,
    `(events partition ${u.partition} up to offset ${u.offset}${u.final ? ', final' : ''})`,
  ].join('  ');
}

function deadLetterText(letter: Record<string, unknown>, timestamp: number): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  const at = typeof letter['receivedAt'] === 'number' ? letter['receivedAt'] : timestamp;
  const parts = [iso(at), text(letter['source'] ?? '?'), text(letter['reason'] ?? '?')];
  if (typeof letter['detail'] === 'string') parts.push(letter['field'] ? `${text(letter['field'])}: ${letter['detail']}` : letter['detail']);
  if (letter['source'] === 'aggregator') parts.push(`from ${text(letter['topic'])} p${text(letter['partition'])}@${text(letter['offset'])}`);
  if (letter['payload'] !== undefined) parts.push(`payload ${clip(text(letter['payload']))}`);
  return parts.join('  ');
}
