import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIMENSIONS } from '@clickstream/clickhouse';
import { readCsv, unformula } from '../support/csv-reader.js';
import { waitUntilStored } from '../support/stored-events.js';
import { FIREFOX_UA, expectedBreakdown as breakdownOf, pageviewsOf, payloadOf, ua, type Hit, type Row, type Utm, type Visitor } from '../support/sent-visits.js';
import { BROWSER_UA, startTestSystem, tokenFor, type TestSystem } from '../support/test-system.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const SITE = 'shop';

// Event times two days back (CLOCK_SKEW_MS lets the client's `ts` stand), spanning an hour
// boundary, all within one session gap so each visitor has exactly one session.
const TOP_OF_HOUR = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
const BASE = TOP_OF_HOUR - 10 * MIN;
const RANGE = { from: TOP_OF_HOUR - HOUR, to: TOP_OF_HOUR + HOUR };

const newsletter: Utm = { source: 'newsletter', medium: 'email', campaign: 'launch' };
const social: Utm = { source: 'social', medium: 'cpc', campaign: 'spring' };
const VISITORS: Visitor[] = [
  // one page view each: bounces
  { ua: ua(BROWSER_UA, 0), country: 'KR', hits: [{ at: 0, page: '/', referrer: 'https://news.example/a', utm: newsletter }] },
  { ua: ua(BROWSER_UA, 1), country: 'KR', hits: [{ at: 2, page: '/pricing', referrer: 'https://www.search.example/?q=shop' }] },
  { ua: ua(FIREFOX_UA, 2), country: 'DE', hits: [{ at: 5, page: '/' }] },
  { ua: ua(BROWSER_UA, 3), hits: [{ at: 12, page: '/blog', utm: newsletter }] },
  // several page views
  { ua: ua(BROWSER_UA, 4), country: 'DE', hits: [{ at: 1, page: '/' }, { at: 3, page: '/pricing' }, { at: 4, page: '/pricing', name: 'signup' }, { at: 6, page: '/checkout' }] },
  {
    ua: ua(FIREFOX_UA, 5),
    country: 'KR',
    hits: [{ at: 8, page: '/blog', referrer: 'https://news.example/b', utm: social }, { at: 9.5, page: '/pricing' }, { at: 11, page: '/checkout' }, { at: 11.5, page: '/checkout', name: 'purchase' }],
  },
  { ua: ua(BROWSER_UA, 6), hits: [{ at: 14, page: '/pricing' }, { at: 16, page: '/' }] },
  // one page view and a custom event: still a bounce
  { ua: ua(BROWSER_UA, 7), country: 'DE', hits: [{ at: 15, page: '/' }, { at: 15.5, page: '/', name: 'signup' }] },
  // a custom event alone: a session without a page view (a bounce, with no entry or exit page)
  { ua: ua(BROWSER_UA, 8), hits: [{ at: 7, page: '/', name: 'download' }] },
];
const BOT: Visitor = { ua: 'curl/8', country: 'KR', hits: [{ at: 3, page: '/bot-only', referrer: 'https://bots.example/' }, { at: 4, page: '/' }, { at: 4, page: '/', name: 'signup' }] };

const timeOf = (hit: Hit): number => BASE + hit.at * MIN + 5_000;
const payload = (hit: Hit): Record<string, unknown> => payloadOf(hit, SITE, timeOf(hit));
const expectedBreakdown = (dimension: string): Row[] => breakdownOf(dimension, VISITORS);

const EXPECTED = {
  pageviews: VISITORS.reduce((n, v) => n + pageviewsOf(v).length, 0),
  visitors: VISITORS.length,
  sessions: VISITORS.length,
  customEvents: VISITORS.reduce((n, v) => n + v.hits.filter((h) => h.name !== undefined).length, 0),
  bounces: VISITORS.filter((v) => pageviewsOf(v).length <= 1).length,
  // each visitor's one session lasts from its first to its last event, custom events included
  durationsMs: VISITORS.map((v) => Math.max(...v.hits.map(timeOf)) - Math.min(...v.hits.map(timeOf))),
};

describe('the history API: timeseries, breakdowns and totals over the stored rollups', () => {
  let system: TestSystem;

  /** Headers that give access to a site's history: its dashboard token. */
  async function authHeaders(site: string): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await tokenFor(system, site)}` };
  }

  /** A GET of the gateway with the access headers of the site in the path. */
  async function get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const site = decodeURIComponent(/^\/api\/sites\/([^/]+)\//.exec(path)?.[1] ?? '');
    const res = await fetch(`${system.gatewayUrl}${path}`, { headers: headers ?? (await authHeaders(site)) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const query = (params: Record<string, string | number>): string => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const inRange = (extra: Record<string, string | number> = {}): string => query({ from: new Date(RANGE.from).toISOString(), to: new Date(RANGE.to).toISOString(), ...extra });

  beforeAll(async () => {
    system = await startTestSystem({ COUNTRY_HEADER: 'x-country', CLOCK_SKEW_MS: String(3 * DAY), RATE_LIMIT_PER_SECOND: '0' });
    let sent = 0;
    const answers = await Promise.all(
      [...VISITORS, BOT].map(async (v) => {
        sent += v.hits.length;
        const res = await fetch(`${system.ingestUrl}/api/collect`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': v.ua, ...(v.country ? { 'x-country': v.country } : {}) },
          body: JSON.stringify(v.hits.map(payload)),
        });
        return res.status;
      }),
    );
    expect(answers.every((s) => s === 202)).toBe(true);
    await waitUntilStored(system, sent, 20_000);
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('gives totals equal to what was sent, bots left out, with the bounce rate and mean session duration', async () => {
    const { status, body } = await get(`/api/sites/${SITE}/totals?${inRange()}`);
    expect(status).toBe(200);
    const meanMs = EXPECTED.durationsMs.reduce((a, b) => a + b, 0) / EXPECTED.durationsMs.length;
    expect(body).toEqual({
      site: SITE,
      from: new Date(RANGE.from).toISOString(),
      to: new Date(RANGE.to).toISOString(),
      pageviews: EXPECTED.pageviews,
      visitors: EXPECTED.visitors,
      sessions: EXPECTED.sessions,
      customEvents: EXPECTED.customEvents,
      // the bot's page views and events, apart from every other figure
      botEvents: BOT.hits.length,
      bounceRate: Math.round((EXPECTED.bounces / EXPECTED.sessions) * 1e4) / 1e4,
      avgDurationSeconds: Math.round(meanMs / 100) / 10,
    });
    // guards against an expectation that is trivially 0 or 1
    expect(body['bounceRate']).toBe(0.6667);
    expect(body['avgDurationSeconds']).toBe(73.3);
  });

  it('counts only the sessions that started in the range', async () => {
    // from the minute of visitor 6's first event: visitors 6 and 7 started there, visitor 5's session started before
    const from = new Date(BASE + 14 * MIN).toISOString();
    const { body } = await get(`/api/sites/${SITE}/totals?${query({ from, to: new Date(RANGE.to).toISOString() })}`);
    expect(body).toMatchObject({ sessions: 2, bounceRate: 0.5, pageviews: 3, visitors: 2, customEvents: 1 });
  });

  it('breaks every dimension down into exactly the counts sent per value, most first', async () => {
    for (const dimension of [...DIMENSIONS, 'entryPage', 'exitPage']) {
      const { status, body } = await get(`/api/sites/${SITE}/breakdown?${inRange({ dimension, limit: 1000 })}`);
      expect(status, dimension).toBe(200);
      expect(body, dimension).toEqual({ site: SITE, dimension, from: new Date(RANGE.from).toISOString(), to: new Date(RANGE.to).toISOString(), rows: expectedBreakdown(dimension) });
    }
    // the data make the cases worth checking: two countries in a tie broken by name, two browsers
    expect(expectedBreakdown('country')).toEqual([
      { value: 'DE', count: 5, visitors: 3 },
      { value: 'KR', count: 5, visitors: 3 },
    ]);
    expect(expectedBreakdown('browser')).toHaveLength(2);
    expect(expectedBreakdown('page').slice(0, 2)).toEqual([
      { value: '/', count: 5, visitors: 5, scrollDepth: null, timeOnPage: null },
      { value: '/pricing', count: 4, visitors: 4, scrollDepth: null, timeOnPage: null },
    ]);
  });

  it('returns the top rows only up to the limit, ten by default', async () => {
    const { body } = await get(`/api/sites/${SITE}/breakdown?${inRange({ dimension: 'page', limit: 2 })}`);
    expect(body['rows']).toEqual(expectedBreakdown('page').slice(0, 2));
    const all = await get(`/api/sites/${SITE}/breakdown?${inRange({ dimension: 'page' })}`);
    expect(all.body['rows']).toEqual(expectedBreakdown('page').slice(0, 10));
  });

  it('compares a range with the period just before it and with the year before: the figures of a direct query of that period, and the change in %', async () => {
    const current = { from: BASE + 10 * MIN, to: BASE + 20 * MIN };
    const previous = { from: BASE, to: BASE + 10 * MIN };
    const pageviewsIn = (r: { from: number; to: number }): number => VISITORS.flatMap(pageviewsOf).filter((h) => timeOf(h) >= r.from && timeOf(h) < r.to).length;
    const [now, before] = [pageviewsIn(current), pageviewsIn(previous)];
    // the data make a change worth checking: 8 page views before, 5 in the range
    expect([before, now]).toEqual([8, 5]);

    const compared = await get(`/api/sites/${SITE}/totals?${query({ ...current, compare: 'previous' })}`);
    expect(compared.status).toBe(200);
    const direct = await get(`/api/sites/${SITE}/totals?${query(previous)}`);
    const { site: _s, from: _f, to: _t, ...previousTotals } = direct.body;
    expect(compared.body['pageviews']).toBe(now);
    expect(compared.body['comparison']).toMatchObject({ compare: 'previous', from: new Date(previous.from).toISOString(), to: new Date(previous.to).toISOString(), totals: previousTotals });
    const comparison = compared.body['comparison'] as { totals: { pageviews: number; bounceRate: number }; change: Record<string, number | null> };
    expect(comparison.totals.pageviews).toBe(before);
    expect(comparison.change['pageviews']).toBe(Math.round(((now - before) / before) * 1000) / 10);
    expect(comparison.change['bounceRatePoints']).toBe(Math.round(((compared.body['bounceRate'] as number) - comparison.totals.bounceRate) * 1000) / 10);

    // the chart's comparison: the same interval over the previous period, as a direct query of it
    const series = await get(`/api/sites/${SITE}/timeseries?${query({ ...current, interval: 'minute', compare: 'previous' })}`);
    const directSeries = await get(`/api/sites/${SITE}/timeseries?${query({ ...previous, interval: 'minute' })}`);
    expect(series.body['comparison']).toEqual({ compare: 'previous', from: new Date(previous.from).toISOString(), to: new Date(previous.to).toISOString(), points: directSeries.body['points'] });
    expect((directSeries.body['points'] as { pageviews: number }[]).reduce((sum, p) => sum + p.pageviews, 0)).toBe(before);

    // a year before, nothing was sent: every figure 0, and no finite change in page views
    const year = await get(`/api/sites/${SITE}/totals?${query({ ...current, compare: 'year' })}`);
    const yearBefore = (ms: number): string => {
      const d = new Date(ms);
      d.setUTCFullYear(d.getUTCFullYear() - 1);
      return d.toISOString();
    };
    expect(year.body['comparison']).toMatchObject({ compare: 'year', from: yearBefore(current.from), to: yearBefore(current.to), totals: { pageviews: 0, visitors: 0 }, change: { pageviews: null } });

    expect(await get(`/api/sites/${SITE}/totals?${query({ ...current, compare: 'week' })}`)).toMatchObject({ status: 400, body: { field: 'compare' } });
  });

  it('answers every breakdown and the timeseries as CSV equal to its JSON', async () => {
    const csvOf = async (path: string): Promise<Record<string, string>[]> => {
      const res = await fetch(`${system.gatewayUrl}${path}`, { headers: await authHeaders(SITE) });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition'), path).toMatch(/^attachment/);
      return readCsv(await res.text());
    };
    for (const dimension of [...DIMENSIONS, 'entryPage', 'exitPage']) {
      const rows = (await get(`/api/sites/${SITE}/breakdown?${inRange({ dimension, limit: 1000 })}`)).body['rows'] as { value: string; count: number; visitors: number | null }[];
      const json = rows.map(({ value, count, visitors }) => ({ value, count, visitors }));
      const csv = await csvOf(`/api/sites/${SITE}/breakdown.csv?${inRange({ dimension, limit: 1000 })}`);
      expect(csv.map((r) => ({ value: unformula(r['value']!), count: Number(r['count']), visitors: r['visitors'] === '' ? null : Number(r['visitors']) })), dimension).toEqual(json);
      expect(json.length, dimension).toBeGreaterThan(0);
    }
    const series = (await get(`/api/sites/${SITE}/timeseries?${query({ from: BASE, to: BASE + 20 * MIN, interval: 'minute' })}`)).body['points'] as Record<string, number>[];
    const seriesCsv = await csvOf(`/api/sites/${SITE}/timeseries.csv?${query({ from: BASE, to: BASE + 20 * MIN, interval: 'minute' })}`);
    expect(seriesCsv.map((r) => ({ t: Date.parse(r['t']!), pageviews: Number(r['pageviews']), visitors: Number(r['visitors']), sessions: Number(r['sessions']), customEvents: Number(r['customEvents']) }))).toEqual(series);
    expect(series).toHaveLength(20);
    const refused = await fetch(`${system.gatewayUrl}/api/sites/${SITE}/timeseries.csv?${query({ from: BASE, to: BASE + 20 * MIN, compare: 'previous' })}`, { headers: await authHeaders(SITE) });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ field: 'compare' });
  });

  it('gives one point per minute of the range, empty minutes as zeros, summing to the totals', async () => {
    const from = BASE;
    const to = BASE + 20 * MIN;
    const { status, body } = await get(`/api/sites/${SITE}/timeseries?${query({ from, to, interval: 'minute' })}`);
    expect(status).toBe(200);
    const points = body['points'] as { t: number; pageviews: number; visitors: number; sessions: number; customEvents: number }[];
    expect(body).toMatchObject({ site: SITE, interval: 'minute', timezone: 'UTC', from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    expect(points.map((p) => p.t)).toEqual(Array.from({ length: 20 }, (_, i) => BASE + i * MIN));
    const perMinute = Array.from({ length: 20 }, () => 0);
    for (const v of VISITORS) for (const h of pageviewsOf(v)) perMinute[Math.floor(h.at)]! += 1;
    expect(points.map((p) => p.pageviews)).toEqual(perMinute);
    const sum = (k: 'pageviews' | 'sessions' | 'customEvents') => points.reduce((n, p) => n + p[k], 0);
    expect({ pageviews: sum('pageviews'), sessions: sum('sessions'), customEvents: sum('customEvents') }).toEqual({
      pageviews: EXPECTED.pageviews,
      sessions: EXPECTED.sessions,
      customEvents: EXPECTED.customEvents,
    });
    // a minute without any event is there, all zeros (minute 4 has a custom event only: a visitor, no page view)
    const active = new Set(VISITORS.flatMap((v) => v.hits.map((h) => Math.floor(h.at))));
    expect(points.filter((_, i) => !active.has(i))).toEqual(
      [...Array(20).keys()].filter((i) => !active.has(i)).map((i) => ({ t: BASE + i * MIN, pageviews: 0, visitors: 0, sessions: 0, customEvents: 0 })),
    );
    expect(points[4]).toEqual({ t: BASE + 4 * MIN, pageviews: 0, visitors: 1, sessions: 0, customEvents: 1 });
  });

  it('buckets by hour and day of the time zone asked for, from the bucket holding "from"', async () => {
    const hourly = await get(`/api/sites/${SITE}/timeseries?${inRange({ interval: 'hour' })}`);
    const utcPoints = hourly.body['points'] as { t: number; pageviews: number; visitors: number }[];
    expect(utcPoints.map((p) => p.t)).toEqual([TOP_OF_HOUR - HOUR, TOP_OF_HOUR]);
    // the hour boundary falls 10 minutes after BASE
    const before = VISITORS.flatMap((v) => pageviewsOf(v)).filter((h) => h.at < 10).length;
    expect(utcPoints.map((p) => p.pageviews)).toEqual([before, EXPECTED.pageviews - before]);
    expect(utcPoints[0]!.visitors + utcPoints[1]!.visitors).toBeGreaterThanOrEqual(EXPECTED.visitors);

    // UTC+05:30: hours start at half past in UTC, so the two-hour range touches three of them
    const kolkata = await get(`/api/sites/${SITE}/timeseries?${inRange({ interval: 'hour', timezone: 'Asia/Kolkata' })}`);
    expect(kolkata.status).toBe(200);
    expect(kolkata.body['timezone']).toBe(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Kolkata' }).resolvedOptions().timeZone);
    const kPoints = kolkata.body['points'] as { t: number; pageviews: number; visitors: number }[];
    expect(kPoints.map((p) => p.t)).toEqual([TOP_OF_HOUR - 90 * MIN, TOP_OF_HOUR - 30 * MIN, TOP_OF_HOUR + 30 * MIN]);
    expect(kPoints.map((p) => p.pageviews)).toEqual([0, EXPECTED.pageviews, 0]);
    expect(kPoints[1]!.visitors).toBe(EXPECTED.visitors);

    const day = Math.floor(BASE / DAY) * DAY;
    const daily = await get(`/api/sites/${SITE}/timeseries?${query({ from: day - DAY, to: day + 2 * DAY, interval: 'day' })}`);
    const dPoints = daily.body['points'] as { t: number; pageviews: number }[];
    expect(dPoints.map((p) => p.t)).toEqual([day - DAY, day, day + DAY]);
    expect(dPoints.reduce((n, p) => n + p.pageviews, 0)).toBe(EXPECTED.pageviews);
  });

  it('steps days in local calendar days across a daylight saving change', async () => {
    // Berlin moved its clocks forward on 2025-03-30: that day has 23 hours
    const { body } = await get(`/api/sites/${SITE}/timeseries?${query({ from: '2025-03-28T00:00:00Z', to: '2025-04-01T00:00:00Z', interval: 'day', timezone: 'Europe/Berlin' })}`);
    const starts = (body['points'] as { t: number }[]).map((p) => new Date(p.t).toISOString());
    expect(starts).toEqual(['2025-03-27T23:00:00.000Z', '2025-03-28T23:00:00.000Z', '2025-03-29T23:00:00.000Z', '2025-03-30T22:00:00.000Z', '2025-03-31T22:00:00.000Z']);
  });

  it('reads today (UTC) so far when no range is given, with zeros and no sessions', async () => {
    const before = Date.now();
    const { status, body } = await get(`/api/sites/${SITE}/totals`);
    const after = Date.now();
    expect(status).toBe(200);
    expect([Math.floor(before / DAY) * DAY, Math.floor(after / DAY) * DAY]).toContain(Date.parse(body['from'] as string));
    expect(Date.parse(body['to'] as string)).toBeGreaterThanOrEqual(Math.ceil(before / MIN) * MIN);
    expect(Date.parse(body['to'] as string)).toBeLessThanOrEqual(Math.ceil(after / MIN) * MIN);
    expect(body).toMatchObject({ pageviews: 0, visitors: 0, sessions: 0, customEvents: 0, bounceRate: 0, avgDurationSeconds: 0 });
  });

  it('answers 400 naming the parameter for every bad one', async () => {
    const cases: [string, string][] = [
      [`breakdown?${inRange({ dimension: 'city' })}`, 'dimension'],
      [`breakdown?${inRange()}`, 'dimension'],
      [`breakdown?${inRange({ dimension: 'page', limit: 0 })}`, 'limit'],
      [`breakdown?${inRange({ dimension: 'page', limit: 1001 })}`, 'limit'],
      [`breakdown?${inRange({ dimension: 'page', limit: 'ten' })}`, 'limit'],
      [`timeseries?${inRange({ interval: 'week' })}`, 'interval'],
      [`timeseries?${query({ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', interval: 'minute' })}`, 'interval'],
      [`timeseries?${inRange({ timezone: 'Mars/Olympus' })}`, 'timezone'],
      [`timeseries?${inRange({ timezone: "UTC') --" })}`, 'timezone'],
      [`totals?${query({ from: 'yesterday' })}`, 'from'],
      [`totals?${query({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })}`, 'to'],
      [`timeseries?${query({ to: 'soon' })}`, 'to'],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get(`/api/sites/${SITE}/${path}`);
      expect({ path, status, error: body['error'], field: body['field'] }).toEqual({ path, status: 400, error: 'invalid_parameter', field });
      expect(typeof body['detail']).toBe('string');
    }
    // only the admin token gets past the guard for a site that cannot exist
    const badSite = await get(`/api/sites/${encodeURIComponent('<b>')}/totals`, { Authorization: `Bearer ${system.admin.token}` });
    expect(badSite).toMatchObject({ status: 400, body: { error: 'invalid_parameter', field: 'site' } });
  });

  it('answers 401 without a token or with another site\'s, on every history route', async () => {
    const paths = ['pageviews', 'totals', 'timeseries', 'breakdown?dimension=page'].map((p) => `/api/sites/${SITE}/${p}`);
    for (const path of paths) {
      expect((await get(path, {})).status, path).toBe(401);
      expect((await get(path, { Authorization: `Bearer ${await tokenFor(system, 'alpha')}` })).status, path).toBe(401);
      expect((await get(path, { Authorization: `Bearer ${system.admin.token}` })).status, path).toBe(200);
    }
  });
});
