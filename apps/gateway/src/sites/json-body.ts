import { ApiError } from '@clickstream/platform';

/** An admin request's body: JSON text parsed (a 400 naming `body` when it is not JSON), anything else as the parser left it. */
export function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    throw ApiError.badRequest('invalid_json', 'the body is not JSON', 'body');
  }
}
