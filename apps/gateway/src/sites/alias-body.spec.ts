import { describe, expect, it } from 'vitest';
import { ApiError } from '@clickstream/platform';
import { parseAliasBody } from './alias-body.js';

const refusal = (body: unknown): { status: number; field?: string } => {
  try {
    parseAliasBody(body);
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, field: err.field };
    throw err;
  }
  throw new Error('accepted');
};

describe('the body of a new alias', () => {
  it('is the alias text, from an object or its JSON', () => {
    expect(parseAliasBody({ alias: 'Example.com' })).toBe('Example.com');
    expect(parseAliasBody('{"alias":"example.com"}')).toBe('example.com');
  });

  it('is refused naming body when missing or not an object, and the field when wrong', () => {
    expect(refusal(undefined)).toEqual({ status: 400, field: 'body' });
    expect(refusal('')).toEqual({ status: 400, field: 'body' });
    expect(refusal('{not json')).toEqual({ status: 400, field: 'body' });
    expect(refusal([1])).toEqual({ status: 400, field: 'body' });
    expect(refusal({})).toEqual({ status: 400, field: 'alias' });
    expect(refusal({ alias: 42 })).toEqual({ status: 400, field: 'alias' });
    expect(refusal({ alias: 'example.com', site: 'x' })).toEqual({ status: 400, field: 'site' });
  });
});
