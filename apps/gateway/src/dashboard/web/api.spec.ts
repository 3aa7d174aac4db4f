import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Filter } from '../../history/filter-syntax.js';
import { DashboardApi } from './api.js';

const FILTERS: Filter[] = [
  { dimension: 'referrer', operator: '==', values: ['google.com'] },
  { dimension: 'prop.plan', operator: '==', values: ['pro|team', '<b>'] },
];

/** The URLs the API asked for, answering each with an empty JSON object. */
function recordFetches(): string[] {
  const urls: string[] = [];
  vi.stubGlobal('fetch', (url: string) => {
    urls.push(url);
    return Promise.resolve(new Response('{}', { status: 200 }));
  });
  return urls;
}

const filterParams = (url: string): string[] => new URL(url, 'http://gateway.test').searchParams.getAll('filter');

describe('DashboardApi', () => {
  afterEach(() => void vi.unstubAllGlobals());

  it('sends the active filters with every history call, as read at the call', async () => {
    const urls = recordFetches();
    let active: readonly Filter[] = FILTERS;
    const api = new DashboardApi('shop', 'tok', () => active);
    await api.totals(0, 1, 'previous');
    await api.timeseries(0, 1, 'minute', 'UTC');
    await api.breakdown('page', 0, 1);
    await api.properties('signup', 'plan', 0, 1);
    await api.funnel(['page:/', 'event:signup'], 0, 1);
    await api.conversions(0, 1);
    expect(urls.map((u) => new URL(u, 'http://gateway.test').pathname)).toEqual(['totals', 'timeseries', 'breakdown', 'properties', 'funnel', 'conversions'].map((r) => `/api/sites/shop/${r}`));
    for (const url of urls) expect(filterParams(url)).toEqual(['referrer==google.com', 'prop.plan==pro\\|team|<b>']);
    expect(new URL(urls[4]!, 'http://gateway.test').searchParams.getAll('step')).toEqual(['page:/', 'event:signup']);

    active = [];
    await api.totals(0, 1);
    expect(filterParams(urls[6]!)).toEqual([]);
  });

  it('puts the filters in the CSV links, beside the token', () => {
    const api = new DashboardApi('shop', 'tok', () => FILTERS);
    const link = new URL(api.csvUrl('breakdown', { dimension: 'referrer', from: '0', to: '1', limit: '1000' }), 'http://gateway.test');
    expect(link.pathname).toBe('/api/sites/shop/breakdown.csv');
    expect(link.searchParams.get('token')).toBe('tok');
    expect(link.searchParams.get('dimension')).toBe('referrer');
    expect(link.searchParams.getAll('filter')).toEqual(['referrer==google.com', 'prop.plan==pro\\|team|<b>']);
  });

  it('does not send filters to the pipeline report, which has none', async () => {
    const urls = recordFetches();
    await new DashboardApi('shop', 'tok', () => FILTERS).ops();
    expect(urls).toEqual(['/api/ops?site=shop']);
  });
});
