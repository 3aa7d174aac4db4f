import { describe, expect, it } from 'vitest';
import { MAX_FILTERS, writeFilter, type Filter } from '../../history/filter-syntax.js';
import { filterLabel, goalFilters, pageQuery, readFilters, rowFilter, withFilter, withFilterParams, withoutFilter } from './filters.js';

const is = (dimension: Filter['dimension'], ...values: string[]): Filter => ({ dimension, operator: '==', values });
const texts = (filters: readonly Filter[]): string[] => filters.map(writeFilter);

describe('readFilters', () => {
  it('reads every filter parameter of a link, in order, whether written readable or encoded', () => {
    const params = new URLSearchParams('site=shop&filter=referrer==google.com&filter=prop.plan%3D%3Dpro%7Cteam&range=7d&filter=page!~/admin');
    expect(readFilters(params)).toEqual([is('referrer', 'google.com'), is('prop.plan', 'pro', 'team'), { dimension: 'page', operator: '!~', values: ['/admin'] }]);
  });

  it('leaves out texts that are not filters instead of failing, and counts a repeated one once', () => {
    const params = new URLSearchParams();
    for (const text of ['nonsense', 'colour==red', 'page==', 'prop.bad name==x', 'referrer==google.com', 'referrer==google.com', 'country==DE']) params.append('filter', text);
    expect(texts(readFilters(params))).toEqual(['referrer==google.com', 'country==DE']);
  });

  it('keeps at most as many filters as the API takes', () => {
    const params = new URLSearchParams();
    for (let i = 0; i < MAX_FILTERS + 3; i++) params.append('filter', `page!=/p${i}`);
    const read = readFilters(params);
    expect(read).toHaveLength(MAX_FILTERS);
    expect(writeFilter(read[MAX_FILTERS - 1]!)).toBe(`page!=/p${MAX_FILTERS - 1}`);
  });

  it('reads nothing from a link without filters', () => {
    expect(readFilters(new URLSearchParams('site=shop&token=t'))).toEqual([]);
  });
});

describe('withFilter and withoutFilter', () => {
  it('adds a filter after the others', () => {
    expect(texts(withFilter([is('referrer', 'google.com')], is('country', 'DE')))).toEqual(['referrer==google.com', 'country==DE']);
  });

  it('replaces the same dimension\'s "is" filter in its place, leaving other operators on it alone', () => {
    const filters: Filter[] = [is('referrer', 'google.com'), { dimension: 'referrer', operator: '!=', values: ['spam.example'] }, is('country', 'DE')];
    expect(texts(withFilter(filters, is('referrer', 'bing.com')))).toEqual(['referrer==bing.com', 'referrer!=spam.example', 'country==DE']);
    expect(texts(withFilter(filters, is('prop.plan', 'pro')))).toEqual(['referrer==google.com', 'referrer!=spam.example', 'country==DE', 'prop.plan==pro']);
  });

  it('tells one property from another', () => {
    expect(texts(withFilter([is('prop.plan', 'pro')], is('prop.seats', '5')))).toEqual(['prop.plan==pro', 'prop.seats==5']);
    expect(texts(withFilter([is('prop.plan', 'pro')], is('prop.plan', 'team')))).toEqual(['prop.plan==team']);
  });

  it('does not add a filter twice, nor past the limit, and does not change the list it is given', () => {
    const filters = [{ dimension: 'page', operator: '~', values: ['blog'] } satisfies Filter];
    expect(withFilter(filters, { dimension: 'page', operator: '~', values: ['blog'] })).toEqual(filters);
    const full = Array.from({ length: MAX_FILTERS }, (_, i): Filter => ({ dimension: 'page', operator: '!=', values: [`/p${i}`] }));
    expect(withFilter(full, is('country', 'DE'))).toHaveLength(MAX_FILTERS);
    withFilter(filters, is('country', 'DE'));
    expect(filters).toHaveLength(1);
  });

  it('removes the filter a chip names, and only that one', () => {
    const filters = [is('referrer', 'google.com'), is('prop.plan', 'pro|team')];
    expect(texts(withoutFilter(filters, 'prop.plan==pro\\|team'))).toEqual(['referrer==google.com']);
    expect(withoutFilter(filters, 'prop.plan==pro')).toEqual(filters);
  });
});

describe('goalFilters', () => {
  it("selects an event goal's conversions by its name, and its property's value when it has one", () => {
    expect(goalFilters({ event: 'signup' })).toEqual([is('event', 'signup')]);
    expect(goalFilters({ event: 'buy', property: { key: 'plan', value: 'pro|team' } })).toEqual([is('event', 'buy'), is('prop.plan', 'pro|team')]);
  });

  it('selects a page goal by its path, or by its pattern when it has a *, and gives none for a value no filter holds', () => {
    expect(goalFilters({ page: '/thanks' })).toEqual([is('page', '/thanks')]);
    expect(goalFilters({ page: '/blog/*' })).toEqual([{ dimension: 'page', operator: '*=', values: ['/blog/*'] }]);
    expect(filterLabel(goalFilters({ page: '/blog/*' })![0]!)).toBe('Page matches /blog/*');
    expect(goalFilters({ event: 'buy', property: { key: 'plan', value: '' } })).toBeUndefined();
  });
});

describe('rowFilter', () => {
  it('makes an "is" filter of a row\'s dimension and stored value, whatever characters it holds', () => {
    expect(rowFilter('referrer', 'google.com')).toEqual(is('referrer', 'google.com'));
    const odd = '<img src=x onerror=alert(1)>|a\\b';
    expect(rowFilter('prop.note', odd)).toEqual(is('prop.note', odd));
  });

  it('gives none for values no filter can hold: empty, too long, or a property name the API refuses', () => {
    expect(rowFilter('referrer', '')).toBeUndefined();
    expect(rowFilter('page', `/${'a'.repeat(3000)}`)).toBeUndefined();
    expect(rowFilter('prop.two words', 'x')).toBeUndefined();
  });
});

describe('filterLabel', () => {
  it('says what a filter keeps, in words', () => {
    expect(filterLabel(is('referrer', 'google.com'))).toBe('Referrer is google.com');
    expect(filterLabel(is('prop.plan', 'pro'))).toBe('Property plan is pro');
    expect(filterLabel(is('utmCampaign', 'fall'))).toBe('UTM campaign is fall');
    expect(filterLabel({ dimension: 'page', operator: '!=', values: ['/a', '/b'] })).toBe('Page is not /a or /b');
    expect(filterLabel({ dimension: 'entryPage', operator: '~', values: ['blog'] })).toBe('Entry page contains blog');
    expect(filterLabel({ dimension: 'os', operator: '!~', values: ['Win'] })).toBe('OS does not contain Win');
  });

  it('shows values as the tables do when told how', () => {
    const show = (dimension: string, value: string): string => (dimension === 'country' && value === 'DE' ? 'Germany' : value);
    expect(filterLabel(is('country', 'DE'), show)).toBe('Country is Germany');
  });
});

describe('the page query', () => {
  it('puts the filters in place of the old ones, keeping the other parameters', () => {
    const params = withFilterParams(new URLSearchParams('site=shop&filter=page==/old&range=7d'), [is('referrer', 'google.com'), is('prop.plan', 'pro')]);
    expect(params.get('site')).toBe('shop');
    expect(params.get('range')).toBe('7d');
    expect(params.getAll('filter')).toEqual(['referrer==google.com', 'prop.plan==pro']);
  });

  it('writes filters readable, and they read back the same whatever their values hold', () => {
    const filters = [is('referrer', 'google.com'), is('page', '/a b?c=1&d=#e+f%20'), is('prop.note', 'x|y', '<b>')];
    const query = pageQuery(withFilterParams(new URLSearchParams('site=shop&token=t'), filters));
    expect(query.startsWith('site=shop&token=t&filter=referrer==google.com&filter=page==/a%20b%3Fc=1%26d=%23e%2Bf%2520&')).toBe(true);
    expect(readFilters(new URLSearchParams(query))).toEqual(filters);
    expect(new URLSearchParams(query).get('site')).toBe('shop');
  });

  it('is only the other parameters when no filter is left', () => {
    expect(pageQuery(withFilterParams(new URLSearchParams('site=shop&filter=page==/x'), []))).toBe('site=shop');
  });
});
