import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS, toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { clickhouseWithFreshDatabases } from '../../../../test/support/own-clickhouse.js';
import type { Filter } from './filter-syntax.js';
import type { TimeRange } from './history-params.js';
import { PageEngagementRepository, type PageEngagement } from './page-engagement.repository.js';
import { RevenueRepository, type RevenueSum } from './revenue.repository.js';

const DB = 'spec_engagement_revenue';
const SITE = 'shop';
const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 2);
const PATHS = ['/', '/pricing', '/docs/a'];
const NAMES = ['Purchase', 'Upgrade'];
const CURRENCIES = ['EUR', 'USD'];

interface Row {
  type: 'engagement' | 'event' | 'pageview';
  path: string;
  name: string;
  visitor: string;
  bot: boolean;
  at: number;
  scrollDepth: number | null;
  engagedMs: number | null;
  /** Revenue in cents, and its currency. */
  cents: number | null;
  currency: string;
}

/** Engagement, revenue and other events over four days, every few minutes, some from bots. */
function generate(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 1200; i++) {
    const at = START + Math.floor((i * 4 * DAY) / 1200) + (i % 7) * 1000;
    const common = { path: PATHS[Math.floor(i / 3) % 3]!, visitor: `v${i % 37}`, bot: i % 19 === 0, at, name: '', scrollDepth: null, engagedMs: null, cents: null, currency: '' };
    if (i % 3 === 0) rows.push({ ...common, type: 'engagement', scrollDepth: (i * 13) % 101, engagedMs: (i * 977) % 60_000 });
    else if (i % 3 === 1) rows.push({ ...common, type: 'event', name: NAMES[i % 2]!, ...(i % 4 === 1 ? { cents: ((i * 31) % 5000) - 500, currency: CURRENCIES[i % 5 < 3 ? 0 : 1]! } : {}) });
    else rows.push({ ...common, type: 'pageview' });
  }
  return rows;
}

const raw = (r: Row, i: number): Record<string, unknown> => ({
  event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  site: SITE,
  type: r.type,
  name: r.name,
  url: `https://shop.example${r.path}`,
  hostname: 'shop.example',
  path: r.path,
  device: 'desktop',
  is_bot: r.bot,
  visitor_id: r.visitor,
  event_time: toDateTime64(r.at),
  received_at: toDateTime64(r.at),
  scroll_depth: r.scrollDepth,
  engaged_ms: r.engagedMs,
  revenue_amount: r.cents === null ? null : (r.cents / 100).toFixed(2),
  revenue_currency: r.currency,
  kafka_topic: 'events',
  kafka_partition: 0,
  kafka_offset: i,
});

/** What the test expects, computed from its own rows: per page, as PageEngagement defines it. */
function expectedEngagement(rows: Row[], range: TimeRange): Map<string, PageEngagement> {
  const found = new Map<string, PageEngagement>();
  for (const path of PATHS) {
    const mine = rows.filter((r) => r.type === 'engagement' && !r.bot && r.path === path && r.at >= range.from && r.at < range.to);
    if (mine.length === 0) continue;
    const visitors = new Set(mine.map((r) => r.visitor)).size;
    found.set(path, {
      scrollDepth: Math.round(mine.reduce((s, r) => s + r.scrollDepth!, 0) / mine.length),
      timeOnPage: Math.round(mine.reduce((s, r) => s + r.engagedMs!, 0) / visitors),
    });
  }
  return found;
}

/** Revenue per event name and currency, as exact decimal text (cents summed as integers). */
function expectedRevenue(rows: Row[], range: TimeRange): Map<string, RevenueSum[]> {
  const found = new Map<string, RevenueSum[]>();
  for (const name of NAMES) {
    const sums: RevenueSum[] = [];
    for (const currency of CURRENCIES) {
      const mine = rows.filter((r) => r.type === 'event' && !r.bot && r.name === name && r.currency === currency && r.at >= range.from && r.at < range.to);
      if (mine.length === 0) continue;
      const cents = mine.reduce((s, r) => s + r.cents!, 0);
      const sign = cents < 0 ? '-' : '';
      const abs = Math.abs(cents);
      const fraction = String(abs % 100).padStart(2, '0').replace(/0+$/, '');
      sums.push({ currency, amount: `${sign}${Math.floor(abs / 100)}${fraction ? `.${fraction}` : ''}` });
    }
    if (sums.length > 0) found.set(name, sums);
  }
  return found;
}

describe('engagement per page and revenue per event from the daily summaries (migration 13) and the raw events', () => {
  let clickhouse: ClickHouseClient;
  let engagement: PageEngagementRepository;
  let revenue: RevenueRepository;
  const rows = generate();
  // every filter selects every row here: the filtered reads (raw events only) must agree
  const everything: Filter[] = [{ dimension: 'device', operator: '!=', values: ['tablet'] }];
  const ranges: Record<string, TimeRange> = {
    'whole days and two part days': { from: START + 7 * HOUR, to: START + 3 * DAY + 5 * HOUR },
    'whole days only': { from: START + DAY, to: START + 3 * DAY },
    'within one day': { from: START + 2 * DAY + HOUR, to: START + 2 * DAY + 20 * HOUR },
    'all four days': { from: START, to: START + 4 * DAY },
  };

  beforeAll(async () => {
    const logger = createLogger('silent');
    const config = { clickhouse: { database: DB } } as AppConfig;
    clickhouse = await clickhouseWithFreshDatabases(DB);
    engagement = new PageEngagementRepository(clickhouse, config);
    revenue = new RevenueRepository(clickhouse, config);
    // half the rows stored before the summaries exist (the migration fills them), half after (their views do)
    const values = rows.map(raw);
    const half = Math.floor(values.length / 2);
    await migrate(clickhouse, DB, logger, MIGRATIONS.filter((m) => m.version < 13));
    await clickhouse.insert({ table: `${DB}.events_raw`, values: values.slice(0, half), format: 'JSONEachRow' });
    expect(await migrate(clickhouse, DB, logger)).toEqual(MIGRATIONS.filter((m) => m.version >= 13).map((m) => m.version));
    await clickhouse.insert({ table: `${DB}.events_raw`, values: values.slice(half), format: 'JSONEachRow' });
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it.each(Object.keys(ranges))('gives each page its engagement figures over %s, unfiltered and filtered alike', async (name) => {
    const range = ranges[name]!;
    const expected = expectedEngagement(rows, range);
    expect(expected.size).toBeGreaterThan(0);
    expect(await engagement.forPages(SITE, PATHS, range)).toEqual(expected);
    expect(await engagement.forPages(SITE, PATHS, range, everything)).toEqual(expected);
  });

  it.each(Object.keys(ranges))('gives each custom event its revenue per currency over %s, unfiltered and filtered alike', async (name) => {
    const range = ranges[name]!;
    const expected = expectedRevenue(rows, range);
    expect(expected.size).toBeGreaterThan(0);
    expect(await revenue.byEventName(SITE, NAMES, range)).toEqual(expected);
    expect(await revenue.byEventName(SITE, NAMES, range, everything)).toEqual(expected);
  });

  it('reads only the pages and names asked for, or every one', async () => {
    const range = ranges['whole days and two part days']!;
    expect(await engagement.forPages(SITE, undefined, range)).toEqual(expectedEngagement(rows, range));
    expect(await revenue.byEventName(SITE, undefined, range)).toEqual(expectedRevenue(rows, range));
    expect([...(await engagement.forPages(SITE, ['/pricing'], range)).keys()]).toEqual(['/pricing']);
    expect([...(await revenue.byEventName(SITE, ['Upgrade'], range)).keys()]).toEqual(['Upgrade']);
  });
});
