import { z } from 'zod';
import { ApiError } from '@clickstream/platform';
import { jsonBody } from './json-body.js';

const aliasBody = z.strictObject({ alias: z.string({ error: 'expected a string' }) });

/** The alias text of `POST /api/sites/:site/aliases`; a 400 naming `body` or `alias` otherwise. */
export function parseAliasBody(body: unknown): string {
  if (body === undefined || body === null || body === '') throw ApiError.badRequest('invalid_parameter', 'expected a JSON body such as {"alias":"example.com"}', 'body');
  const parsed = aliasBody.safeParse(jsonBody(body));
  if (parsed.success) return parsed.data.alias;
  const issue = parsed.error.issues[0];
  const field = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
  if (issue?.path.length === 0 && issue.code !== 'unrecognized_keys') throw ApiError.badRequest('invalid_parameter', 'expected a JSON object such as {"alias":"example.com"}', 'body');
  throw ApiError.badRequest('invalid_parameter', issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid'), String(field ?? 'alias'));
}
