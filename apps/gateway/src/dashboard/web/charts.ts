import uPlot from 'uplot';
import type { ChartPoint, Interval } from './model.js';

const INTERVAL_SECONDS: Readonly<Record<Interval, number>> = { minute: 60, hour: 3_600, day: 86_400 };

/** Canvas colours follow the page's CSS variables, so light and dark mode need no second palette. */
function themeColors(): { accent: string; accentFill: string; accent2: string; muted: string; grid: string } {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return { accent: v('--accent', '#2563eb'), accentFill: v('--accent-fill', '#2563eb40'), accent2: v('--accent-2', '#f59e0b'), muted: v('--muted', '#6b7280'), grid: v('--grid', '#e5e7eb') };
}

const COUNT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 2_500, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1e6, 2e6, 5e6, 1e7];

const compact = (n: number): string => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${+(n / 1e3).toFixed(1)}k` : String(n));

/** A count axis from 0: whole numbers only, at least 0..4 so an empty chart still has a scale. */
const countScale: uPlot.Scale = { range: (_u, _min, max) => [0, Math.max(4, Math.ceil((max ?? 0) * 1.15))] };

function countAxis(colors: ReturnType<typeof themeColors>): uPlot.Axis {
  return { stroke: colors.muted, grid: { stroke: colors.grid, width: 1 }, ticks: { show: false }, incrs: COUNT_INCRS, values: (_u, splits) => splits.map(compact), size: 44 };
}

/**
 * A uPlot chart bound to a container: it follows the container's width, and rebuilds itself
 * (keeping its data) when the colour scheme changes, since uPlot bakes colours into its options.
 */
abstract class ResponsiveChart {
  protected plot: uPlot | undefined;
  protected data: uPlot.AlignedData = [[]];
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor(protected readonly container: HTMLElement) {
    this.resize.observe(container);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.rebuild());
  }

  protected abstract options(width: number, height: number): uPlot.Options;

  protected height(): number {
    return this.container.clientWidth < 600 ? 150 : 190;
  }

  protected rebuild(): void {
    this.plot?.destroy();
    const width = Math.max(200, this.container.clientWidth);
    this.plot = new uPlot(this.options(width, this.height()), this.data, this.container);
  }

  protected show(data: uPlot.AlignedData): void {
    this.data = data;
    if (this.plot) this.plot.setData(data);
    else this.rebuild();
  }

  private fit(): void {
    if (!this.plot) return;
    const width = Math.max(200, this.container.clientWidth);
    if (width !== this.plot.width || this.height() !== this.plot.height) this.plot.setSize({ width, height: this.height() });
  }
}

const SECONDS_X = Array.from({ length: 60 }, (_, i) => i - 59);

/**
 * Page views per second over the last minute: x is seconds before now (-59..0), so the bars
 * scroll left. It fills its container's height, which the layout sets (see .chart.fill).
 */
export class SecondsChart extends ResponsiveChart {
  protected override height(): number {
    return Math.max(120, this.container.clientHeight);
  }

  update(counts: readonly number[]): void {
    this.show([SECONDS_X, [...counts]]);
  }

  protected options(width: number, height: number): uPlot.Options {
    const colors = themeColors();
    return {
      width,
      height,
      legend: { show: false },
      cursor: { y: false, points: { show: false }, drag: { x: false, y: false } },
      padding: [8, 8, 0, 0],
      scales: { x: { time: false, range: [-59.6, 0.6] }, y: countScale },
      axes: [
        { stroke: colors.muted, grid: { show: false }, ticks: { show: false }, splits: () => [-50, -40, -30, -20, -10, 0], values: (_u, splits) => splits.map((s) => (s === 0 ? 'now' : `${s}s`)), size: 28 },
        countAxis(colors),
      ],
      series: [{ label: 'seconds ago' }, { label: 'Page views', fill: colors.accent, stroke: colors.accent, width: 0, paths: uPlot.paths.bars!({ size: [0.72, 40], gap: 1 }), points: { show: false } }],
    };
  }
}

/** Page views (bars, or an area when there are many buckets) and visitors (a line) of the chosen range. */
export class RangeChart extends ResponsiveChart {
  private bars = true;
  /** Whether a compared period's page views are drawn (a dashed line on the same buckets). */
  private compared = false;

  /** Half a bucket, in seconds: the x scale is padded by it so the first and last bars show whole. */
  private halfBucket = 30;

  /** `compared`: page views of the period compared with, by bucket index (they align with `points`). */
  update(points: readonly ChartPoint[], interval: Interval, compared?: readonly number[]): void {
    this.halfBucket = INTERVAL_SECONDS[interval] / 2;
    const bars = points.length <= 96;
    const series: (number | null)[][] = [points.map((p) => p.pageviews), points.map((p) => p.visitors)];
    if (compared) series.push(points.map((_p, i) => compared[i] ?? null));
    const data: uPlot.AlignedData = [points.map((p) => p.t / 1000), ...series];
    if (bars !== this.bars || (compared !== undefined) !== this.compared) {
      this.bars = bars;
      this.compared = compared !== undefined;
      this.data = data;
      this.rebuild();
      return;
    }
    this.show(data);
  }

  protected override height(): number {
    return this.container.clientWidth < 600 ? 180 : 240;
  }

  private xRange(min: number, max: number): uPlot.Range.MinMax {
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      const now = Date.now() / 1000;
      return [now - 3_600, now];
    }
    const pad = this.bars ? this.halfBucket : 0;
    return min === max && pad === 0 ? [min - 60, max + 60] : [min - pad, max + pad];
  }

  protected options(width: number, height: number): uPlot.Options {
    const colors = themeColors();
    const pageviews: uPlot.Series = this.bars
      ? { label: 'Page views', fill: colors.accent, stroke: colors.accent, width: 0, paths: uPlot.paths.bars!({ size: [0.8, 48], gap: 1 }), points: { show: false } }
      : { label: 'Page views', fill: colors.accentFill, stroke: colors.accent, width: 1.5, points: { show: false } };
    return {
      width,
      height,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      // room for the last time label, which uPlot centres on the right edge
      padding: [8, 22, 0, 0],
      scales: { x: { time: true, range: (_u, min, max) => this.xRange(min, max) }, y: countScale },
      axes: [{ stroke: colors.muted, grid: { show: false }, ticks: { show: false }, size: 32 }, countAxis(colors)],
      series: [
        {},
        pageviews,
        { label: 'Visitors', stroke: colors.accent2, width: 2, points: { show: false }, spanGaps: false },
        ...(this.compared ? [{ label: 'Page views, compared period', stroke: colors.muted, width: 1.5, dash: [5, 4], points: { show: false } }] : []),
      ],
    };
  }
}
