import { fieldProblem, isJsonObject, jsonObjectBody, type FieldProblem, type JsonObject } from './json-object-body.js';

/**
 * Umami's tracker's request (POST /api/send), read into the collect API's format. Version 2 of
 * their tracker sends the page as a path with the host apart, and the title URI-encoded; version 3
 * sends the whole URL. Only the translation is checked here: the values then go through the collect
 * API's own validation, so an Umami event meets the same rules as ours.
 */

export type UmamiRequest =
  /** A page view (no name) or a custom event, in the collect API's format less its `site`. */
  | { type: 'event'; website: string; event: Record<string, unknown> }
  /** Who the visitor is, by the site's own id for them: acknowledged, nothing of it is kept. */
  | { type: 'identify'; website: string };

export type UmamiRead = { ok: true; value: UmamiRequest } | FieldProblem;

const fail = fieldProblem;

/** Their v2 tracker URI-encodes the title; text that does not decode is kept as it came. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Deepest nesting of `data` flattened into dotted property names (`{ a: { b: 1 } }` → `a.b`). */
const MAX_DEPTH = 5;

/**
 * Umami's event data may nest objects and hold arrays; our properties are flat text, so nested
 * keys are joined with dots and an array is kept as its JSON text.
 */
function flatten(data: JsonObject, prefix = '', depth = 0, into: JsonObject = {}): JsonObject {
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined) continue;
    const name = prefix + key;
    if (isJsonObject(value) && depth < MAX_DEPTH) flatten(value, `${name}.`, depth + 1, into);
    else into[name] = isJsonObject(value) || Array.isArray(value) ? JSON.stringify(value) : value;
  }
  return into;
}

export function readUmamiRequest(body: unknown): UmamiRead {
  const read = jsonObjectBody(body);
  if (!read.ok) return read;
  const { json } = read;
  const type = json['type'];
  if (type !== 'event' && type !== 'identify') return fail('type', type === undefined ? 'required' : 'expected "event" or "identify"');
  const payload = json['payload'];
  if (!isJsonObject(payload)) return fail('payload', payload === undefined ? 'required' : 'expected an object');
  const website = payload['website'];
  if (typeof website !== 'string' || website === '') return fail('payload.website', website === undefined ? 'required' : 'expected a website id');
  if (type === 'identify') return { ok: true, value: { type, website } };

  const url = payload['url'];
  if (typeof url !== 'string' || url === '') return fail('payload.url', url === undefined ? 'required' : 'expected a URL or a path');
  let pageUrl = url;
  if (!/^https?:\/\//i.test(url)) {
    const hostname = payload['hostname'];
    if (typeof hostname !== 'string' || hostname === '') return fail('payload.hostname', 'required when payload.url is a path');
    pageUrl = `https://${hostname}${url.startsWith('/') ? '' : '/'}${url}`;
  }
  const event: JsonObject = { type: 'pageview', url: pageUrl };
  const { referrer, title, screen, language, name, data, tag, timestamp } = payload;
  if (referrer !== undefined && referrer !== null && typeof referrer !== 'string') return fail('payload.referrer', 'expected a string');
  event['referrer'] = referrer || null;
  if (title !== undefined && title !== null) {
    if (typeof title !== 'string') return fail('payload.title', 'expected a string');
    if (title !== '') event['title'] = decoded(title);
  }
  if (typeof screen === 'string' && screen !== '') event['screen'] = screen;
  if (typeof language === 'string' && language !== '') event['language'] = language;
  if (tag !== undefined && tag !== null && tag !== '') event['tag'] = tag;
  if (typeof timestamp === 'number') event['ts'] = Math.round(timestamp * 1000);
  if (name !== undefined && name !== null && name !== '') {
    event['type'] = 'event';
    event['name'] = name;
  }
  if (data !== undefined && data !== null) {
    if (!isJsonObject(data)) return fail('payload.data', 'expected an object');
    const props = flatten(data);
    if (Object.keys(props).length > 0) event['props'] = props;
  }
  return { ok: true, value: { type, website, event } };
}
