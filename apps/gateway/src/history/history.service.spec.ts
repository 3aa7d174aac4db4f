import { describe, expect, it } from 'vitest';
import { ApiError } from '@clickstream/platform';
import type { FilteredHistoryRepository } from './filtered-history.repository.js';
import type { Filter } from './filters.js';
import type { HistoryRepository, RollupTotals, SessionTotals } from './history.repository.js';
import { pageEngagement, type PageEngagementRepository } from './page-engagement.repository.js';
import type { RevenueRepository } from './revenue.repository.js';
import { HistoryService, percentChange, totalsChange, type Totals } from './history.service.js';

const RANGE = { from: Date.UTC(2026, 10, 25), to: Date.UTC(2026, 10, 26) };

/** A repository answering fixed figures and recording which reads were made. */
function fakeRepository(rollup: RollupTotals, sessions: SessionTotals, timeseriesError?: Error) {
  const calls: string[] = [];
  const repo = {
    rollupTotals: async () => rollup,
    sessionTotals: async () => sessions,
    breakdown: async (_s: string, d: string) => (calls.push(`breakdown:${d}`), []),
    sessionBreakdown: async (_s: string, d: string) => (calls.push(`sessions:${d}`), []),
    timeseries: async () => {
      if (timeseriesError) throw timeseriesError;
      return [];
    },
  };
  return { repo: repo as unknown as HistoryRepository, calls };
}

/** The raw-event reads under filters, recording what they were asked. */
function fakeFiltered() {
  const calls: string[] = [];
  const none = { pageviews: 0, visitors: 0, customEvents: 0, botEvents: 0 };
  const repo = {
    totals: async (_s: string, _r: unknown, f: Filter[]) => (calls.push(`totals:${f.length}`), { rollup: none, sessions: { sessions: 0, bounces: 0, durationMs: 0 } }),
    breakdown: async (_s: string, d: string) => (calls.push(`breakdown:${d}`), []),
    sessionBreakdown: async (_s: string, d: string) => (calls.push(`sessionBreakdown:${d}`), []),
    timeseries: async () => (calls.push('timeseries'), []),
    pageviews: async () => (calls.push('pageviews'), 0),
  };
  return { filtered: repo as unknown as FilteredHistoryRepository, filteredCalls: calls };
}

/** Engagement and revenue reads that find nothing. */
const extras = (): [PageEngagementRepository, RevenueRepository] => [
  { forPages: async () => new Map() } as unknown as PageEngagementRepository,
  { byEventName: async () => new Map() } as unknown as RevenueRepository,
];

describe('HistoryService', () => {
  it('gives pages their engagement figures and custom events their revenue, null and empty where none', async () => {
    const rows = [{ value: '/a', count: 3, visitors: 2 }, { value: '/b', count: 1, visitors: 1 }];
    const repo = { breakdown: async () => rows } as unknown as HistoryRepository;
    // unfiltered, the figures of every value are read beside the counts: a value outside the top ones is left out
    const asked: (string[] | undefined)[] = [];
    const engagement = {
      forPages: async (_s: string, paths: string[] | undefined) => (asked.push(paths), new Map([['/a', { scrollDepth: 40, timeOnPage: 1500 }], ['/z', { scrollDepth: 1, timeOnPage: 1 }]])),
    } as unknown as PageEngagementRepository;
    const revenue = {
      byEventName: async (_s: string, names: string[] | undefined) => (asked.push(names), new Map([['/b', [{ currency: 'EUR', amount: '3.5' }]], ['/z', [{ currency: 'USD', amount: '1' }]]])),
    } as unknown as RevenueRepository;
    const service = new HistoryService(repo, fakeFiltered().filtered, engagement, revenue);
    expect(await service.breakdown('s', 'page', RANGE, 10)).toEqual([
      { value: '/a', count: 3, visitors: 2, scrollDepth: 40, timeOnPage: 1500 },
      { value: '/b', count: 1, visitors: 1, scrollDepth: null, timeOnPage: null },
    ]);
    expect(await service.breakdown('s', 'event', RANGE, 10)).toEqual([
      { value: '/a', count: 3, visitors: 2, revenue: [] },
      { value: '/b', count: 1, visitors: 1, revenue: [{ currency: 'EUR', amount: '3.5' }] },
    ]);
    expect(await service.breakdown('s', 'referrer', RANGE, 10)).toEqual(rows);
    expect(asked).toEqual([undefined, undefined]);
  });

  it('rounds the scroll depth per event and the engaged time per visitor', () => {
    expect(pageEngagement({ events: 3, scrollDepthSum: 100, engagedMsSum: 10_001, visitors: 2 })).toEqual({ scrollDepth: 33, timeOnPage: 5001 });
    expect(pageEngagement({ events: 0, scrollDepthSum: 0, engagedMsSum: 0, visitors: 0 })).toEqual({ scrollDepth: null, timeOnPage: null });
    expect(pageEngagement(undefined)).toEqual({ scrollDepth: null, timeOnPage: null });
  });

  it('gives the bounce rate to 4 decimals and the mean session duration in seconds to 1 decimal', async () => {
    const { repo } = fakeRepository({ pageviews: 10, visitors: 3, customEvents: 2, botEvents: 4 }, { sessions: 3, bounces: 2, durationMs: 100_000 });
    expect(await new HistoryService(repo, fakeFiltered().filtered, ...extras()).totals('s', RANGE)).toEqual({
      pageviews: 10,
      visitors: 3,
      customEvents: 2,
      botEvents: 4,
      sessions: 3,
      bounceRate: 0.6667,
      avgDurationSeconds: 33.3,
    });
  });

  it('answers 0 for the bounce rate and duration of a range without sessions', async () => {
    const { repo } = fakeRepository({ pageviews: 0, visitors: 0, customEvents: 0, botEvents: 0 }, { sessions: 0, bounces: 0, durationMs: 0 });
    expect(await new HistoryService(repo, fakeFiltered().filtered, ...extras()).totals('s', RANGE)).toMatchObject({ sessions: 0, bounceRate: 0, avgDurationSeconds: 0 });
  });

  it('reads entry and exit pages from the sessions and every other dimension from the breakdowns', async () => {
    const { repo, calls } = fakeRepository({ pageviews: 0, visitors: 0, customEvents: 0, botEvents: 0 }, { sessions: 0, bounces: 0, durationMs: 0 });
    const service = new HistoryService(repo, fakeFiltered().filtered, ...extras());
    await service.breakdown('s', 'entryPage', RANGE, 10);
    await service.breakdown('s', 'exitPage', RANGE, 10);
    await service.breakdown('s', 'page', RANGE, 10);
    await service.breakdown('s', 'event', RANGE, 10);
    expect(calls).toEqual(['sessions:entryPage', 'sessions:exitPage', 'breakdown:page', 'breakdown:event']);
  });

  it('reads every figure under filters from the raw events, and none from the rollups', async () => {
    const { repo, calls } = fakeRepository({ pageviews: 1, visitors: 1, customEvents: 0, botEvents: 0 }, { sessions: 1, bounces: 1, durationMs: 0 });
    const { filtered, filteredCalls } = fakeFiltered();
    const service = new HistoryService(repo, filtered, ...extras());
    const filters: Filter[] = [{ dimension: 'referrer', operator: '==', values: ['a.example'] }];
    await service.totals('s', RANGE, filters);
    await service.breakdown('s', 'page', RANGE, 10, filters);
    await service.breakdown('s', 'exitPage', RANGE, 10, filters);
    await service.timeseries('s', RANGE, 'hour', 'UTC', filters);
    await service.pageviews('s', RANGE.from, RANGE.to, filters);
    expect(filteredCalls).toEqual(['totals:1', 'breakdown:page', 'sessionBreakdown:exitPage', 'timeseries', 'pageviews']);
    expect(calls).toEqual([]);
  });

  it('turns a time zone the database does not know into a 400 naming timezone, and lets other errors through', async () => {
    const unknownZone = fakeRepository({ pageviews: 0, visitors: 0, customEvents: 0, botEvents: 0 }, { sessions: 0, bounces: 0, durationMs: 0 }, new Error('Cannot load time zone Nowhere/Land'));
    const err = await new HistoryService(unknownZone.repo, fakeFiltered().filtered, ...extras()).timeseries('s', RANGE, 'hour', 'Nowhere/Land').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, field: 'timezone' });
    const down = fakeRepository({ pageviews: 0, visitors: 0, customEvents: 0, botEvents: 0 }, { sessions: 0, bounces: 0, durationMs: 0 }, new Error('connect ECONNREFUSED'));
    await expect(new HistoryService(down.repo, fakeFiltered().filtered, ...extras()).timeseries('s', RANGE, 'hour', 'UTC')).rejects.toThrow('ECONNREFUSED');
  });
});

describe('changes against a period compared with', () => {
  it('is the change in % of the earlier figure, to 1 decimal; 0 from 0 to 0, and no finite change (null) from 0 to more', () => {
    expect(percentChange(150, 120)).toBe(25);
    expect(percentChange(1, 3)).toBe(-66.7);
    expect(percentChange(0, 0)).toBe(0);
    expect(percentChange(5, 0)).toBeNull();
    expect(percentChange(0, 5)).toBe(-100);
  });

  it('moves the bounce rate in percentage points and every other total in %', () => {
    const before: Totals = { pageviews: 200, visitors: 50, sessions: 80, customEvents: 0, botEvents: 3, bounceRate: 0.5, avgDurationSeconds: 40 };
    const now: Totals = { pageviews: 250, visitors: 40, sessions: 80, customEvents: 7, botEvents: 0, bounceRate: 0.43, avgDurationSeconds: 50 };
    expect(totalsChange(now, before)).toEqual({ pageviews: 25, visitors: -20, sessions: 0, customEvents: null, avgDurationSeconds: 25, bounceRatePoints: -7 });
  });
});
