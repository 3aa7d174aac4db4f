import type { BenchReport } from '../report.js';
import { verdict } from '../sections/capacity.js';
import type { PhaseResult } from '../support/load-phase.js';
import { renderChart, type ChartPoint, type ChartSeries } from './svg-chart.js';

const BLUE = '#1f77b4';
const ORANGE = '#ff7f0e';
const GREEN = '#2ca02c';

interface Level {
  phase: PhaseResult;
  passed: boolean;
}

/** Every load level of the report by request size: capacity steps and freshness levels. */
function levels(r: BenchReport, batch: number): Level[] {
  const capacity = r.sections.capacity?.modes.find((m) => m.batch === batch);
  const steps = capacity ? [...capacity.steps, ...capacity.confirmations].map((s) => ({ phase: s, passed: s.passed })) : [];
  // freshness levels are judged as capacity levels are: an overloaded one shows hollow
  const fresh = (r.sections.freshness?.levels ?? []).filter((phase) => phase.batch === batch).map((phase) => ({ phase, passed: verdict(phase).length === 0 }));
  return [...steps, ...fresh];
}

const points = (ls: Level[], y: (p: PhaseResult) => number | null): ChartPoint[] => ls.map((l) => ({ x: l.phase.rate, y: y(l.phase), hollow: !l.passed }));

/** The two charts BENCHMARKS.md links: accepted vs offered, and latency percentiles per load level. */
export function renderCharts(r: BenchReport): { throughput: string; latency: string } {
  const single = levels(r, 1);
  const batched = levels(r, 20);
  // the charts show the capacity and freshness sections, which may come from an earlier run than the last command
  const measured = (['capacity', 'freshness'] as const).flatMap((name) => {
    const run = r.sections[name]?.run;
    return run ? [`${name}: ${run.command}, ${run.startedAt}, ${run.cores} cores`] : [];
  });
  const caption = [...measured, 'hollow markers: level not sustained'];
  const throughput: ChartSeries[] = [
    { name: 'single events', color: BLUE, points: points(single, (p) => p.load.achievedEventsPerSecond) },
    { name: 'batches of 20', color: ORANGE, points: points(batched, (p) => p.load.achievedEventsPerSecond) },
  ];
  const ack: ChartSeries[] = [
    { name: 'single events, p50', color: BLUE, points: points(single, (p) => p.load.latencyMs.p50) },
    { name: 'single events, p99', color: BLUE, dash: '5 3', points: points(single, (p) => p.load.latencyMs.p99) },
    { name: 'batches of 20, p50', color: ORANGE, points: points(batched, (p) => p.load.latencyMs.p50) },
    { name: 'batches of 20, p99', color: ORANGE, dash: '5 3', points: points(batched, (p) => p.load.latencyMs.p99) },
  ];
  const withProbe = (ls: Level[]) => ls.filter((l) => l.phase.freshness !== undefined);
  const freshness: ChartSeries[] = [
    { name: 'under single events, p50', color: GREEN, points: points(withProbe(single), (p) => p.freshness?.p50 ?? null) },
    { name: 'under single events, p99', color: GREEN, dash: '5 3', points: points(withProbe(single), (p) => p.freshness?.p99 ?? null) },
    { name: 'under batches of 20, p50', color: ORANGE, points: points(withProbe(batched), (p) => p.freshness?.p50 ?? null) },
    { name: 'under batches of 20, p99', color: ORANGE, dash: '5 3', points: points(withProbe(batched), (p) => p.freshness?.p99 ?? null) },
  ];
  return {
    throughput: renderChart([{ title: 'Accepted events/s per offered load', xLabel: 'offered events/s', yLabel: 'accepted events/s', series: throughput, diagonal: true }], caption),
    latency: renderChart(
      [
        { title: 'Collect acknowledgement (202) latency', xLabel: 'offered events/s', yLabel: 'ms (log scale)', logY: true, series: ack },
        { title: 'Freshness: 202 to live socket update', xLabel: 'offered events/s', yLabel: 'ms (log scale)', logY: true, series: freshness, references: [{ y: 300, label: 'p50 goal 300 ms' }, { y: 1000, label: 'p99 goal 1 s' }] },
      ],
      caption,
    ),
  };
}
