/** How figures and values read on the dashboard. Pure: every result is plain text for textContent. */

export const DASH = '–';

/** `1234` → "1,234"; absent → "–". */
export const formatCount = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? DASH : Math.round(n).toLocaleString('en-US'));

/** A share in [0, 1] → "42%". */
export const formatPercent = (rate: number | undefined): string => (rate === undefined || !Number.isFinite(rate) ? DASH : `${Math.round(rate * 100)}%`);

/** Seconds → "42s", "3m 05s", "1h 02m". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/** The one line a site owner pastes into their pages (the same text as `snippet()` of @clickstream/tracker). */
export const snippetText = (ingestUrl: string, site: string): string =>
  `<script defer src="${ingestUrl.replace(/\/+$/, '')}/script.js" data-site="${site}"></script>`;

/** How a breakdown value reads in a table; `title` keeps the stored value when the label renders it. */
export interface ValueLabel {
  label: string;
  title?: string;
  /** A stand-in for an empty value ("Direct / none"), styled apart. */
  placeholder?: boolean;
}

type RegionNames = { of(code: string): string | undefined };

/** English names of countries, where the browser has them (else codes are shown). */
export const regionNames = (): RegionNames | undefined => (typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'region' }) : undefined);

const PATH_DIMENSIONS = new Set(['page', 'entryPage', 'exitPage']);

/**
 * Paths are stored as the URL has them, percent-encoded: shown decoded ("/café", not
 * "/caf%C3%A9"), falling back to the stored form when it is not valid UTF-8. Country codes show
 * as names. The result is text for textContent, so a decoded `<script>` is just characters.
 */
export function breakdownLabel(dimension: string, value: string, countries?: RegionNames): ValueLabel {
  if (value === '') return { label: dimension === 'referrer' ? 'Direct / none' : '(not set)', placeholder: true };
  if (PATH_DIMENSIONS.has(dimension)) {
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // malformed escapes: show what is stored
    }
    return decoded === value ? { label: value } : { label: decoded, title: value };
  }
  if (dimension === 'country') return { label: countryName(value, countries), title: value };
  return { label: value };
}

/** A country code as its English name when the browser knows it ("DE" → "Germany"), else the code. */
export function countryName(code: string, names: RegionNames | undefined): string {
  if (!/^[A-Z]{2}$/.test(code) || !names) return code;
  try {
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

/** How a total moved against the period compared with, and whether that is good news. */
export interface ChangeLabel {
  text: string;
  trend: 'good' | 'bad' | 'flat';
}

/**
 * A change from the history API's `comparison.change` → "▲ 25%", "▼ 3.5 pts", "=" or "new"
 * (from nothing to something: no finite %). `lowerIsBetter` for the bounce rate, whose fall is
 * good news. Absent (no comparison, or the call failed) → undefined: nothing is shown.
 */
export function formatChange(change: number | null | undefined, unit: '%' | 'pts', lowerIsBetter = false): ChangeLabel | undefined {
  if (change === undefined) return undefined;
  if (change === null) return { text: 'new', trend: lowerIsBetter ? 'bad' : 'good' };
  if (change === 0) return { text: '=', trend: 'flat' };
  const magnitude = Math.abs(change).toLocaleString('en-US', { maximumFractionDigits: 1 });
  const up = change > 0;
  return { text: `${up ? '▲' : '▼'} ${magnitude}${unit === '%' ? '%' : ' pts'}`, trend: up !== lowerIsBetter ? 'good' : 'bad' };
}

/** A goal as the site owner wrote it: "/thanks/*" (a page) or "signup (plan = pro)" (an event). */
export function goalLabel(goal: { page?: string; event?: string; property?: { key: string; value: string } }): string {
  if (goal.page !== undefined) return `Visit ${goal.page}`;
  return `${goal.event ?? ''}${goal.property ? ` (${goal.property.key} = ${goal.property.value})` : ''}`;
}

/** Revenue per currency as exact text: "12.5 EUR, 3 USD" (currencies never added together); '' for none. */
export const formatRevenue = (revenue: readonly { currency: string; amount: string }[] | undefined): string =>
  (revenue ?? []).map((r) => `${r.amount} ${r.currency}`).join(', ');

/** A page's engagement as the pages table shows it beside its views: "scrolled 45% · 1m 05s"; '' without engagement events. */
export function formatEngagement(scrollDepth: number | null | undefined, timeOnPageMs: number | null | undefined): string {
  if (scrollDepth === null || scrollDepth === undefined) return '';
  const time = timeOnPageMs === null || timeOnPageMs === undefined ? DASH : formatDuration(timeOnPageMs / 1000);
  return `scrolled ${scrollDepth}% · ${time}`;
}
