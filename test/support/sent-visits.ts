import { BROWSER_UA } from './test-system.js';

/**
 * Visits a test sends through the collect API, and what the history API should answer about
 * them, worked out here from what was sent (never with the code under test): the values each
 * event has in each dimension, and breakdown rows counted from them.
 */

export const FIREFOX_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
export const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

export interface Utm {
  source: string;
  medium: string;
  campaign: string;
}

/** One event of a visitor, `at` minutes after the test's base time; with a name it is a custom event. */
export interface Hit {
  at: number;
  page: string;
  name?: string;
  props?: Record<string, string>;
  referrer?: string;
  utm?: Utm;
}

export interface Visitor {
  ua: string;
  country?: string;
  hits: Hit[];
}

/** A User-Agent made a distinct visitor by a suffix the parser ignores. */
export const ua = (base: string, i: number): string => `${base} v/${i}`;

/** The browser, OS and device each User-Agent sent here names, read off the strings by hand (not by the parser under test). */
const AGENTS: Readonly<Record<string, { browser: string; os: string; device: string }>> = {
  [BROWSER_UA]: { browser: 'Chrome', os: 'Linux', device: 'desktop' },
  [FIREFOX_UA]: { browser: 'Firefox', os: 'Windows', device: 'desktop' },
  [IPHONE_UA]: { browser: 'Mobile Safari', os: 'iOS', device: 'mobile' },
  // a bot's: nothing a browser would name, and a device type left empty reads as desktop
  'curl/8': { browser: '', os: '', device: 'desktop' },
};

export const agentOf = (v: Visitor): { browser: string; os: string; device: string } => {
  const agent = AGENTS[v.ua.replace(/ v\/\d+$/, '')];
  if (!agent) throw new Error(`no expectation for the User-Agent ${v.ua}`);
  return agent;
};

export const pageviewsOf = (v: Visitor): Hit[] => v.hits.filter((h) => h.name === undefined);

/** The collect API's body for a hit at `ts`. */
export function payloadOf(hit: Hit, site: string, ts: number): Record<string, unknown> {
  const url = new URL(`https://shop.example${hit.page}`);
  if (hit.utm) for (const [k, val] of Object.entries(hit.utm)) url.searchParams.set(`utm_${k}`, val);
  return hit.name === undefined
    ? { type: 'pageview', site, url: url.toString(), ts, ...(hit.referrer ? { referrer: hit.referrer } : {}) }
    : { type: 'event', site, url: url.toString(), name: hit.name, ts, ...(hit.props ? { props: hit.props } : {}) };
}

/** A hit's own value in a dimension, '' where it has none (custom events carry their page, visitor and agent, and no referrer or UTM here). */
export function rowValueOf(dimension: string, v: Visitor, hit: Hit): string {
  if (dimension.startsWith('prop.')) return hit.props?.[dimension.slice(5)] ?? '';
  const agent = agentOf(v);
  switch (dimension) {
    case 'event':
      return hit.name ?? '';
    case 'page':
      return hit.page;
    case 'referrer':
      return hit.referrer ? new URL(hit.referrer).hostname.replace(/^www\./, '') : '';
    case 'utmSource':
      return hit.utm?.source ?? '';
    case 'utmMedium':
      return hit.utm?.medium ?? '';
    case 'utmCampaign':
      return hit.utm?.campaign ?? '';
    case 'country':
      return v.country ?? '';
    case 'browser':
      return agent.browser;
    case 'os':
      return agent.os;
    case 'device':
      return agent.device;
    default:
      throw new Error(`no expectation for ${dimension}`);
  }
}

/** The value a breakdown files a hit under: page views for every dimension but 'event', custom events for it; undefined when it is not counted. */
export function valueOf(dimension: string, v: Visitor, hit: Hit): string | undefined {
  if ((dimension === 'event') !== (hit.name !== undefined)) return undefined;
  return rowValueOf(dimension, v, hit) || undefined;
}

export type Row = { value: string; count: number; visitors: number | null; scrollDepth?: number | null; timeOnPage?: number | null; revenue?: unknown[] };

/** Breakdown rows of (value, visitor) pairs: count and distinct visitors per value, most first, ties by value. */
export function rowsOf(pairs: Iterable<[string | undefined, Visitor]>): Row[] {
  const counts = new Map<string, { count: number; visitors: Set<Visitor> }>();
  for (const [value, v] of pairs) {
    if (value === undefined) continue;
    const c = counts.get(value) ?? { count: 0, visitors: new Set<Visitor>() };
    c.count += 1;
    c.visitors.add(v);
    counts.set(value, c);
  }
  return [...counts.entries()]
    .map(([value, c]) => ({ value, count: c.count, visitors: c.visitors.size }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** What a breakdown should answer over these visitors, each one session (bots left out by the caller). */
export function expectedBreakdown(dimension: string, visitors: readonly Visitor[], hitsOf: (v: Visitor) => Hit[] = (v) => v.hits): Row[] {
  if (dimension === 'entryPage' || dimension === 'exitPage') {
    const rows = rowsOf(visitors.map((v) => [(dimension === 'entryPage' ? pageviewsOf(v)[0] : pageviewsOf(v).at(-1))?.page, v]));
    // exit pages count sessions only
    return dimension === 'exitPage' ? rows.map((r) => ({ ...r, visitors: null })) : rows;
  }
  const rows = rowsOf(visitors.flatMap((v) => hitsOf(v).map((h): [string | undefined, Visitor] => [valueOf(dimension, v, h), v])));
  // these visits send no engagement report and no revenue: pages have no engagement figures, events no revenue
  if (dimension === 'page') return rows.map((r) => ({ ...r, scrollDepth: null, timeOnPage: null }));
  return dimension === 'event' ? rows.map((r) => ({ ...r, revenue: [] })) : rows;
}
