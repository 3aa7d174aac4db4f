import { ApiError } from '@clickstream/platform';

/** A request body split into events: one object, or an array (a batch). */
export interface CollectItems {
  batch: boolean;
  items: unknown[];
}

/** Parses the body text; whole-body problems are ApiErrors naming `body`. */
export function parseCollectBody(raw: unknown, maxEvents: number): CollectItems {
  if (typeof raw !== 'string') throw ApiError.badRequest('invalid_body', 'expected a JSON object or an array of them', 'body');
  if (raw.trim() === '') throw ApiError.badRequest('invalid_body', 'the request body is empty', 'body');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw ApiError.badRequest('invalid_json', `the body is not valid JSON (${(err as Error).message})`, 'body');
  }
  if (Array.isArray(json)) {
    if (json.length === 0) throw ApiError.badRequest('invalid_body', 'the batch is empty', 'body');
    if (json.length > maxEvents) throw new ApiError(413, 'too_many_events', `a batch holds at most ${maxEvents} events, got ${json.length}`, 'body');
    return { batch: true, items: json };
  }
  if (typeof json === 'object' && json !== null) return { batch: false, items: [json] };
  throw ApiError.badRequest('invalid_body', 'expected a JSON object or an array of them', 'body');
}
