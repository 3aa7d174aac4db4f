/**
 * A small line chart as standalone SVG: numeric x, linear or log y, series with markers
 * (hollow for points that failed their criterion), optional reference lines and y = x.
 * Panels render side by side in one SVG file.
 */
export interface ChartPoint {
  x: number;
  /** null: no value (the point is left out). */
  y: number | null;
  hollow?: boolean;
}

export interface ChartSeries {
  name: string;
  color: string;
  dash?: string;
  points: ChartPoint[];
}

export interface ChartPanel {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: ChartSeries[];
  references?: { y: number; label: string }[];
  /** Draw y = x (e.g. offered vs achieved). */
  diagonal?: boolean;
}

const PANEL_W = 520;
const PANEL_H = 360;
const M = { left: 64, right: 16, top: 40, bottom: 96 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number): string => (Math.abs(n) >= 1000 ? `${Math.round(n / 100) / 10}k`.replace('.0k', 'k') : String(Math.round(n * 100) / 100));

/** Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten. */
export function linearTicks(min: number, max: number, target = 5): number[] {
  if (max <= min) return [min];
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.round(t * 1e9) / 1e9);
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function panel(p: ChartPanel, offsetX: number): string {
  const xs = p.series.flatMap((s) => s.points.map((pt) => pt.x));
  const ys = p.series.flatMap((s) => s.points.flatMap((pt) => (pt.y === null ? [] : [pt.y]))).concat((p.references ?? []).map((r) => r.y));
  const out: string[] = [`<g transform="translate(${offsetX},0)">`, `<text x="${PANEL_W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`];
  if (xs.length === 0 || ys.length === 0) {
    out.push(`<text x="${PANEL_W / 2}" y="${PANEL_H / 2}" text-anchor="middle" fill="#888">no data</text></g>`);
    return out.join('\n');
  }
  const x0 = 0;
  const x1 = Math.max(...xs) * 1.05;
  let y0: number;
  let y1: number;
  if (p.logY) {
    const positive = ys.filter((y) => y > 0);
    y0 = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
    y1 = 10 ** Math.ceil(Math.log10(Math.max(...positive) * 1.05));
  } else {
    y0 = 0;
    y1 = Math.max(...ys, p.diagonal ? x1 : 0) * 1.08;
  }
  const w = PANEL_W - M.left - M.right;
  const h = PANEL_H - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y: number): number => {
    const f = p.logY ? (Math.log10(Math.max(y, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0);
    return M.top + h - Math.min(1, Math.max(0, f)) * h;
  };
  out.push(`<rect x="${M.left}" y="${M.top}" width="${w}" height="${h}" fill="#fff" stroke="#ccc"/>`);
  for (const t of p.logY ? logTicks(y0, y1) : linearTicks(y0, y1)) {
    out.push(`<line x1="${M.left}" x2="${M.left + w}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of linearTicks(x0, x1)) {
    out.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${M.top + h}" y2="${M.top + h + 4}" stroke="#888"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${M.top + h + 17}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  out.push(`<text x="${M.left + w / 2}" y="${M.top + h + 34}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${M.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  if (p.diagonal) {
    const d = Math.min(x1, y1);
    out.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(d).toFixed(1)}" y2="${sy(d).toFixed(1)}" stroke="#bbb" stroke-dasharray="4 4"/>`);
    out.push(`<text x="${(sx(d * 0.75) + 8).toFixed(1)}" y="${(sy(d * 0.75) + 16).toFixed(1)}" font-size="10" fill="#888">offered = accepted</text>`);
  }
  for (const r of p.references ?? []) {
    out.push(`<line x1="${M.left}" x2="${M.left + w}" y1="${sy(r.y).toFixed(1)}" y2="${sy(r.y).toFixed(1)}" stroke="#c00" stroke-dasharray="6 3" stroke-width="1"/>`);
    out.push(`<text x="${M.left + w - 4}" y="${(sy(r.y) - 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#c00">${esc(r.label)}</text>`);
  }
  for (const s of p.series) {
    const pts = s.points.filter((pt): pt is ChartPoint & { y: number } => pt.y !== null).sort((a, b) => a.x - b.x);
    if (pts.length === 0) continue;
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.map((pt) => `${sx(pt.x).toFixed(1)},${sy(pt.y).toFixed(1)}`).join(' ')}"/>`);
    for (const pt of pts) out.push(`<circle cx="${sx(pt.x).toFixed(1)}" cy="${sy(pt.y).toFixed(1)}" r="3.5" fill="${pt.hollow ? '#fff' : s.color}" stroke="${s.color}" stroke-width="1.5"/>`);
  }
  // legend under the plot, two columns
  p.series.forEach((s, i) => {
    const lx = M.left + (i % 2) * (w / 2);
    const ly = M.top + h + 52 + Math.floor(i / 2) * 15;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** One SVG document with the panels side by side and caption lines under them. */
export function renderChart(panels: readonly ChartPanel[], caption: readonly string[]): string {
  const width = PANEL_W * panels.length;
  const height = PANEL_H + 14 * caption.length + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    ...panels.map((p, i) => panel(p, i * PANEL_W)),
    ...caption.map((line, i) => `<text x="${width / 2}" y="${PANEL_H + 14 * (i + 1)}" text-anchor="middle" font-size="10" fill="#666">${esc(line)}</text>`),
    '</svg>',
    '',
  ].join('\n');
}
