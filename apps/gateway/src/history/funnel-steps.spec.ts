import { describe, expect, it } from 'vitest';
import { ApiError } from '@clickstream/platform';
import { likePattern, parseFunnelSteps, stepConditions } from './funnel-steps.js';

const refusal = (fn: () => unknown): { status: number; field: string | undefined; detail: string } => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, field: err.field, detail: err.detail };
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('funnel steps', () => {
  it('takes 2 to 8 ordered steps, pages and events', () => {
    expect(parseFunnelSteps(['page:/', 'page:/blog/*', 'event:signup'])).toEqual([
      { kind: 'page', path: '/' },
      { kind: 'page', path: '/blog/*' },
      { kind: 'event', name: 'signup' },
    ]);
  });

  it('refuses too few or too many steps and malformed ones, naming step', () => {
    expect(refusal(() => parseFunnelSteps('page:/'))).toMatchObject({ status: 400, field: 'step' });
    expect(refusal(() => parseFunnelSteps(undefined))).toMatchObject({ status: 400, field: 'step' });
    expect(refusal(() => parseFunnelSteps(Array.from({ length: 9 }, () => 'page:/')))).toMatchObject({ status: 400, field: 'step' });
    expect(refusal(() => parseFunnelSteps(['page:/', 'pricing']))).toMatchObject({ field: 'step', detail: expect.stringContaining('step 2') });
    expect(refusal(() => parseFunnelSteps(['page:/', 'page:pricing']))).toMatchObject({ field: 'step' });
    expect(refusal(() => parseFunnelSteps(['page:/', 'event:']))).toMatchObject({ field: 'step' });
    expect(refusal(() => parseFunnelSteps(['page:/', `event:${'x'.repeat(121)}`]))).toMatchObject({ field: 'step' });
  });

  it('turns * into a wildcard and nothing else: % and _ of a path match only themselves', () => {
    expect(likePattern('/blog/*')).toBe('/blog/%');
    expect(likePattern('/100%_off')).toBe('/100\\%\\_off');
    expect(likePattern('/a\\b')).toBe('/a\\\\b');
  });

  it('keeps user text out of the SQL: each step is a fixed condition naming its parameter', () => {
    const { conditions, params } = parseAndBuild(["page:/x' OR 1=1 --", "event:'); DROP TABLE t; --"]);
    expect(conditions).toEqual(["(type = 'pageview' AND path LIKE {step0:String})", "(type = 'event' AND name = {step1:String})"]);
    expect(params).toEqual({ step0: "/x' OR 1=1 --", step1: "'); DROP TABLE t; --" });
  });
});

const parseAndBuild = (steps: string[]) => stepConditions(parseFunnelSteps(steps));
