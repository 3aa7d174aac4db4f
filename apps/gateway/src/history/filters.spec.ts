import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@clickstream/platform';
import { FILTER_DIMENSIONS, FILTER_OPERATORS, readFilter, writeFilter, type Filter } from './filter-syntax.js';
import { filterSql, parseFilters } from './filters.js';
import { likePattern } from './funnel-steps.js';

// a goal filter takes == and != alone, and is compiled once its goals are looked up: its own tests below
const filters = fc.record({
  dimension: fc.oneof(fc.constantFrom(...FILTER_DIMENSIONS.filter((d) => d !== 'goal')), fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/).map((k) => `prop.${k}` as const)),
  operator: fc.constantFrom(...FILTER_OPERATORS),
  values: fc.array(fc.string({ minLength: 1, maxLength: 20, unit: fc.constantFrom('a', '|', '\\', '=', '!', '~', '*', '<', ' ', 'é') }), { minLength: 1, maxLength: 5 }),
}) as fc.Arbitrary<Filter>;

describe('filter syntax', () => {
  it('reads back every filter it writes, values holding |, \\ and operators included', () => {
    fc.assert(
      fc.property(filters, (f) => {
        expect(readFilter(writeFilter(f))).toEqual({ ok: true, filter: f });
      }),
    );
  });

  it('reads the documented examples', () => {
    expect(readFilter('referrer==google.com|bing.com')).toEqual({ ok: true, filter: { dimension: 'referrer', operator: '==', values: ['google.com', 'bing.com'] } });
    expect(readFilter('page!~/blog')).toEqual({ ok: true, filter: { dimension: 'page', operator: '!~', values: ['/blog'] } });
    expect(readFilter('prop.plan~PRO')).toEqual({ ok: true, filter: { dimension: 'prop.plan', operator: '~', values: ['PRO'] } });
    expect(readFilter('page==/a\\|b')).toEqual({ ok: true, filter: { dimension: 'page', operator: '==', values: ['/a|b'] } });
    expect(readFilter('page*=/blog/*|/docs/*')).toEqual({ ok: true, filter: { dimension: 'page', operator: '*=', values: ['/blog/*', '/docs/*'] } });
    expect(readFilter('prop.plan!*=*pro*')).toEqual({ ok: true, filter: { dimension: 'prop.plan', operator: '!*=', values: ['*pro*'] } });
  });

  it('gives a reason for each kind of bad filter', () => {
    for (const [text, reason] of [
      ['colour==red', /unknown dimension "colour"/],
      ['page=/a', /expected <dimension><operator><value>/],
      ['page==', /a value is empty/],
      ['page==a||b', /a value is empty/],
      ['prop.==x', /property name/],
      ['prop.a b==x', /property name/],
      [`page==${'x'.repeat(2049)}`, /longer than 2048/],
      [`page==${Array.from({ length: 51 }, (_v, i) => i).join('|')}`, /51 values/],
    ] as const) {
      const read = readFilter(text);
      expect(read.ok, text).toBe(false);
      if (!read.ok) expect(read.reason, text).toMatch(reason);
    }
  });
});

describe('parseFilters', () => {
  it('takes none, one or several, and refuses a bad one as a 400 naming filter and its place', () => {
    expect(parseFilters(undefined)).toEqual([]);
    expect(parseFilters('device==mobile')).toHaveLength(1);
    expect(parseFilters(['device==mobile', 'country!=KR'])).toHaveLength(2);
    const err = (() => {
      try {
        parseFilters(['device==mobile', 'size==xl']);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, field: 'filter' });
    expect((err as ApiError).message).toMatch(/filter 2 "size==xl": unknown dimension/);
    expect(() => parseFilters(Array.from({ length: 21 }, () => 'page==/'))).toThrow(/at most 20/);
  });
});

describe('filterSql', () => {
  it('selects every row without filters', () => {
    expect(filterSql([], 'db').rows).toBe('1');
  });

  it('carries the values as parameters only, never in the SQL text', () => {
    fc.assert(
      fc.property(fc.array(filters, { minLength: 1, maxLength: 4 }), (fs) => {
        const sql = filterSql(fs, 'db');
        for (const f of fs) for (const v of f.values) if (v.length > 3) expect(sql.rows).not.toContain(v);
        // a pattern's values travel one parameter each as LIKE patterns: % _ \\ of their own escaped, * as %
        fs.forEach((f, i) => {
          if (f.operator === '*=' || f.operator === '!*=') f.values.forEach((v, j) => expect(sql.params[`f${i}_${j}`]).toEqual(likePattern(v)));
          else expect(sql.params[`f${i}`]).toEqual(f.values);
        });
      }),
    );
  });
});

describe('filterSql of a tag', () => {
  it("selects the events by their own tag, and never lets an engagement report select a session", () => {
    const sql = filterSql(parseFilters('tag==spring|summer'), 'db');
    expect(sql.rows).toBe('(tag IN {f0:Array(String)})');
    expect(sql.params['f0']).toEqual(['spring', 'summer']);
    expect(sql.wholeSessions).toBe(false);
    expect(sql.sessions).toContain("type != 'engagement'");
  });
});

describe('filterSql of a goal', () => {
  it('reads goal==<ids> and goal!=<ids>, and refuses the other operators', () => {
    expect(readFilter('goal==a1|b2')).toEqual({ ok: true, filter: { dimension: 'goal', operator: '==', values: ['a1', 'b2'] } });
    expect(readFilter('goal!=a1').ok).toBe(true);
    for (const text of ['goal~a1', 'goal*=a*', 'goal!~a1']) expect(readFilter(text), text).toEqual({ ok: false, reason: expect.stringMatching(/goal takes == or !=/) });
  });

  it('selects the rows converting any of its goals, the goals travelling as parameters; refuses a goal filter not looked up', () => {
    const goals = [{ page: '/thanks/*' }, { event: 'signup', property: { key: 'plan', value: 'pro' } }];
    const sql = filterSql([{ dimension: 'goal', operator: '==', values: ['a1', 'b2'], goals }], 'db');
    expect(sql.params).toMatchObject({ f0_0t: likePattern('/thanks/*'), f0_1t: 'signup', f0_1k: 'plan', f0_1v: 'pro' });
    // the ids are no parameter: the query never reads them
    expect(sql.params).not.toHaveProperty('f0');
    expect(sql.rows).not.toContain('thanks');
    expect(sql.rows).toContain(' OR ');
    expect(sql.wholeSessions).toBe(false);
    expect(filterSql([{ dimension: 'goal', operator: '!=', values: ['a1'], goals: goals.slice(0, 1) }], 'db').rows).toMatch(/^\(NOT /);
    expect(() => filterSql(parseFilters('goal==a1'), 'db')).toThrow(/not resolved/);
  });
});
