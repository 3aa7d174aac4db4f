import type { LiveState } from '../../live/live.events.js';
import type { BreakdownDimension, BreakdownResponse, Comparison, DashboardApi, Fetched, TotalsResponse } from './api.js';
import { BREAKDOWN_DIMENSIONS, COMPARISONS } from './api.js';
import type { ActiveFilters } from './active-filters.js';
import { RangeChart } from './charts.js';
import { byId, renderRows, setText, type TableRow } from './dom.js';
import { filterLabel, rowFilter, type ShowValue } from './filters.js';
import { breakdownLabel, DASH, formatChange, goalLabel, formatCount, formatDuration, formatEngagement, formatPercent, formatRevenue, regionNames, type ChangeLabel } from './format.js';
import { isRangeKey, joinLiveTail, rangeOf, RANGE_LABELS, type ChartPoint, type Range, type RangeKey } from './model.js';
import { replacePageQuery } from './page-url.js';
import { Throttle, type ThrottleGap } from './throttle.js';
import { onShown, pageHidden } from './visibility.js';

/**
 * History refreshes: at least 2 s apart, and at least four times as long apart as the last one
 * took, up to a minute, so the page's reads keep the server busy for at most about a quarter of
 * the time. One open page under traffic (600 events/s, 10 million stored events) kept ClickHouse
 * 33-54% of a core busy when it refreshed every 2 s whatever a refresh cost (BENCHMARKS.md, the
 * dashboard's own cost).
 */
const REFRESH_GAP: ThrottleGap = { minMs: 2_000, costFactor: 4, maxMs: 60_000 };
const REFRESH_EVERY_MS = 30_000;
/** Longer than the aggregator's insert delay (AGGREGATOR_FLUSH_INTERVAL_MS, 2 s by default) and its insert. */
const SETTLE_MS = 3_500;

const isComparison = (value: unknown): value is Comparison => (COMPARISONS as readonly unknown[]).includes(value);

/** The change shown under each total: its element, and how it reads from the API's `change`. */
const CHANGES: readonly { id: string; of: (c: NonNullable<TotalsResponse['comparison']>['change']) => ChangeLabel | undefined }[] = [
  { id: 'change-pageviews', of: (c) => formatChange(c.pageviews, '%') },
  { id: 'change-visitors', of: (c) => formatChange(c.visitors, '%') },
  { id: 'change-sessions', of: (c) => formatChange(c.sessions, '%') },
  { id: 'change-bounce', of: (c) => formatChange(c.bounceRatePoints, 'pts', true) },
  { id: 'change-duration', of: (c) => formatChange(c.avgDurationSeconds, '%') },
];

/** A page's engagement figures or a custom event's revenue, shown beside its count when it has any. */
function extraOf(dimension: BreakdownDimension, r: BreakdownResponse['rows'][number]): Pick<TableRow, 'extra'> {
  if (dimension === 'page') {
    const text = formatEngagement(r.scrollDepth, r.timeOnPage);
    return text ? { extra: { text, title: 'Mean scroll depth · engaged time per visitor' } } : {};
  }
  if (dimension === 'event') {
    const text = formatRevenue(r.revenue);
    return text ? { extra: { text, title: 'Revenue, per currency' } } : {};
  }
  return {};
}

const isDimension = (value: string | undefined): value is BreakdownDimension => (BREAKDOWN_DIMENSIONS as readonly (string | undefined)[]).includes(value);

/**
 * The history half: the range picker, totals, the range chart and the top-N tables, read from the
 * REST API. Refreshed while live updates arrive and every 30 s anyway, paced by what a refresh
 * costs (REFRESH_GAP), and not at all while the page is hidden (another tab in front, a minimised
 * window): a refresh asked for then runs when it is shown again. The range chart's newest minutes
 * come from the live state, so it moves before history catches up.
 * An endpoint that fails shows "–"; a network failure (offline) keeps the last figures.
 * Everything here follows the active filters (the API applies them); a click on a table row adds
 * one. `body[data-history]` is "loading" from a filter change until every answer under the new
 * filters is shown, "ready" after.
 */
export class HistoryView {
  private rangeKey: RangeKey;
  private range: Range;
  private points: ChartPoint[] = [];
  /** Page views of the period compared with, by bucket index; empty without a comparison. */
  private comparedPageviews: number[] = [];
  private compare: Comparison | undefined;
  private liveMinutes: LiveState['minutes'] = [];
  /** Each refresh's number: answers of a refresh overtaken by a newer one (a new range) are dropped. */
  private seq = 0;
  private settle: ReturnType<typeof setTimeout> | undefined;
  private readonly chart = new RangeChart(byId('range-chart'));
  // a run that falls due while the page is hidden (asked for before it was, or on a page opened in a background tab) is owed instead
  private readonly throttle = new Throttle(() => (pageHidden() ? this.owe() : this.refresh()), REFRESH_GAP);
  /** A refresh was asked for while the page was hidden: it runs once the page is shown again. */
  private owed = false;
  private readonly timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  private readonly countries = regionNames();
  private readonly show: ShowValue = (dimension, value) => breakdownLabel(dimension, value, this.countries).label;
  private readonly tables = Array.from(document.querySelectorAll<HTMLTableElement>('table[data-dimension]'));

  constructor(
    private readonly api: DashboardApi,
    private readonly filters: ActiveFilters,
    initialRange: string | null,
    initialCompare: string | null,
    /** Server time, from the live view. */
    private readonly now: () => number,
    /** Told the custom event names of the range on each refresh. */
    private readonly onEventNames: (names: string[]) => void = () => undefined,
    /** Told the site's goals, by id and as the goals table reads them, on each refresh. */
    private readonly onGoals: (goals: { id: string; label: string }[]) => void = () => undefined,
  ) {
    this.rangeKey = isRangeKey(initialRange) ? initialRange : 'today';
    this.range = rangeOf(this.rangeKey, now());
    this.compare = isComparison(initialCompare) ? initialCompare : undefined;
  }

  /** The range shown now (today's grows with the clock). */
  currentRange(): { from: number; to: number } {
    const { from, to } = rangeOf(this.rangeKey, this.now());
    return { from, to };
  }

  start(): void {
    for (const button of this.rangeButtons()) {
      button.addEventListener('click', () => this.setRange(button.dataset['range']));
    }
    this.showRangeChoice();
    const picker = byId('compare-picker') as HTMLSelectElement;
    picker.value = this.compare ?? '';
    picker.addEventListener('change', () => this.setCompare(picker.value));
    this.filters.onChange(() => this.onFilters());
    this.throttle.force();
    setInterval(() => this.requestRefresh(), REFRESH_EVERY_MS);
    onShown(() => {
      if (!this.owed) return;
      this.owed = false;
      this.throttle.request();
    });
  }

  /** A refresh soon, within the gap; none while the page is hidden, one when it is shown. */
  private requestRefresh(): void {
    if (pageHidden()) void this.owe();
    else this.throttle.request();
  }

  private owe(): Promise<void> {
    this.owed = true;
    return Promise.resolve();
  }

  /**
   * A live payload: redraw the chart's tail now, refresh the rest soon, and once more when the
   * stream has been quiet for a while: live figures lead the stored ones by the aggregator's
   * insert delay, so a refresh right after the last update can miss the last events.
   */
  onLiveState(state: LiveState): void {
    this.liveMinutes = state.minutes;
    this.drawChart();
    this.requestRefresh();
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.requestRefresh(), SETTLE_MS);
  }

  /** NodeList is not iterable under the project's lib (DOM without DOM.Iterable). */
  private rangeButtons(): HTMLButtonElement[] {
    return Array.from(byId('range-picker').querySelectorAll<HTMLButtonElement>('button[data-range]'));
  }

  private setRange(key: string | undefined): void {
    if (!isRangeKey(key) || key === this.rangeKey) return;
    this.rangeKey = key;
    this.showRangeChoice();
    const params = new URLSearchParams(location.search);
    params.set('range', key);
    replacePageQuery(params);
    this.throttle.force();
  }

  private setCompare(value: string): void {
    const compare = isComparison(value) ? value : undefined;
    if (compare === this.compare) return;
    this.compare = compare;
    const params = new URLSearchParams(location.search);
    if (compare) params.set('compare', compare);
    else params.delete('compare');
    replacePageQuery(params);
    this.throttle.force();
  }

  /** Until the answers under the new filters arrive, the figures shown are dimmed: they count other traffic. */
  private onFilters(): void {
    document.body.dataset['history'] = 'loading';
    this.drawChart();
    this.throttle.force();
  }

  private showRangeChoice(): void {
    for (const button of this.rangeButtons()) {
      button.setAttribute('aria-pressed', String(button.dataset['range'] === this.rangeKey));
    }
    setText('range-title', RANGE_LABELS[this.rangeKey]);
  }

  private async refresh(): Promise<void> {
    const seq = ++this.seq;
    const current = (): boolean => seq === this.seq;
    const range = rangeOf(this.rangeKey, this.now());
    const { from, to, interval } = range;
    const compare = this.compare;
    // offline, a part keeps its figures from before, maybe under other filters: not "ready" then
    let complete = true;
    // reads the server refused or failed: their parts are left blank, and the page says why
    const refused = new Set<string>();
    const arrived = (res: Fetched<unknown>): boolean => {
      if (!current()) return false;
      if (!res.ok && res.status !== 0) refused.add(`HTTP ${res.status}: ${res.detail}`);
      if (res.ok || res.status !== 0) return true;
      complete = false;
      return false;
    };
    // the downloads follow the range shown: the whole breakdown (up to the API's limit), the chart's points
    (byId('range-csv') as HTMLAnchorElement).href = this.api.csvUrl('timeseries', { from: String(from), to: String(to), interval, timezone: this.timezone });
    for (const table of this.tables) {
      const link = document.getElementById(`${table.id}-csv`) as HTMLAnchorElement | null;
      const dimension = table.dataset['dimension'];
      if (link && isDimension(dimension)) link.href = this.api.csvUrl('breakdown', { dimension, from: String(from), to: String(to), limit: '1000' });
    }
    await Promise.all([
      this.api.timeseries(from, to, interval, this.timezone, compare).then((res) => {
        if (!arrived(res)) return;
        this.range = range;
        this.points = res.ok ? res.data.points.map((p) => ({ t: p.t, pageviews: p.pageviews, visitors: p.visitors })) : [];
        this.comparedPageviews = res.ok && res.data.comparison ? res.data.comparison.points.map((p) => p.pageviews) : [];
        this.drawChart();
      }),
      this.api.totals(from, to, compare).then((res) => {
        if (!arrived(res)) return;
        const t = res.ok ? res.data : undefined;
        for (const { id, of } of CHANGES) {
          const change = t?.comparison ? of(t.comparison.change) : undefined;
          const element = byId(id);
          element.hidden = change === undefined;
          element.textContent = change?.text ?? '';
          if (change) element.dataset['trend'] = change.trend;
          // what the change is measured against, for the tooltip
          element.title = t?.comparison ? `against ${t.comparison.from.slice(0, 16)} to ${t.comparison.to.slice(0, 16)} UTC` : '';
        }
        setText('total-pageviews', formatCount(t?.pageviews));
        setText('total-visitors', formatCount(t?.visitors));
        setText('total-sessions', formatCount(t?.sessions));
        setText('total-bounce', formatPercent(t?.bounceRate));
        setText('total-duration', formatDuration(t?.avgDurationSeconds));
        // a hit sent with curl or by a crawler is stored but counted apart: say so, or the page seems not to move
        setText('total-bots', formatCount(t?.botEvents));
        const bots = document.getElementById('bots-note');
        if (bots) bots.hidden = !t || t.botEvents === 0;
      }),
      this.api.conversions(from, to).then((res) => {
        if (!arrived(res)) return;
        const body = byId<HTMLTableElement>('goals').tBodies[0]!;
        if (!res.ok) return renderRows(body, [], DASH);
        this.onGoals(res.data.goals.map((g) => ({ id: g.goal.id, label: goalLabel(g.goal) })));
        const max = Math.max(1, ...res.data.goals.map((g) => g.converters));
        renderRows(
          body,
          res.data.goals.map((g): TableRow => {
            const revenue = formatRevenue(g.revenue);
            // the goal filter: its chip names the goal, and it selects what the goal counts
            const filter = rowFilter('goal', g.goal.id);
            const action = filter && { title: `Filter by the goal ${goalLabel(g.goal)}`, run: () => this.filters.add(filter) };
            return {
              label: goalLabel(g.goal),
              count: `${formatCount(g.conversions)} · ${g.conversionRate}%`,
              share: g.converters / max,
              ...(action ? { action } : {}),
              ...(revenue ? { extra: { text: revenue, title: 'Revenue of the conversions, per currency' } } : {}),
            };
          }),
          'No goals yet',
        );
      }),
      ...this.tables.map(async (table) => {
        const dimension = table.dataset['dimension'];
        if (!isDimension(dimension)) return;
        const res = await this.api.breakdown(dimension, from, to, 10);
        if (!arrived(res)) return;
        this.drawTable(table, dimension, res);
        if (dimension === 'event' && res.ok) this.onEventNames(res.data.rows.map((r) => r.value));
      }),
    ]);
    if (!current()) return;
    const notice = byId('history-error');
    notice.hidden = refused.size === 0;
    notice.textContent = refused.size === 0 ? '' : `Some figures of this range could not be read, and are left blank (blank is not zero): ${[...refused].join('; ')}`;
    if (complete) document.body.dataset['history'] = 'ready';
  }

  private drawChart(): void {
    // the live minutes count all traffic: under filters the chart is the stored, filtered figures alone
    const live = this.filters.list().length > 0 ? [] : this.liveMinutes;
    const points = joinLiveTail(this.points, this.range.interval, live, { ...this.range, to: this.now() + 1 }, this.now());
    this.chart.update(points, this.range.interval, this.comparedPageviews.length > 0 ? this.comparedPageviews : undefined);
    byId('range-chart').dataset['compared'] = String(this.comparedPageviews.length);
    // how many buckets the chart shows now, for tests (the title changes before the data arrives)
    byId('range-chart').dataset['points'] = String(points.length);
  }

  private drawTable(table: HTMLTableElement, dimension: BreakdownDimension, res: Fetched<BreakdownResponse>): void {
    const body = table.tBodies[0] ?? table.createTBody();
    if (!res.ok) {
      renderRows(body, [], DASH);
      return;
    }
    const max = Math.max(1, ...res.data.rows.map((r) => r.count));
    const rows = res.data.rows.map((r): TableRow => {
      const filter = rowFilter(dimension, r.value);
      const action = filter && { title: `Filter by ${filterLabel(filter, this.show)}`, run: () => this.filters.add(filter) };
      return { ...breakdownLabel(dimension, r.value, this.countries), count: formatCount(r.count), share: r.count / max, ...(action ? { action } : {}), ...extraOf(dimension, r) };
    });
    // under filters an empty table says so: the site has data, none of it selected
    renderRows(body, rows, this.filters.list().length > 0 ? 'None under these filters' : 'No data yet');
  }
}
