import { heldStep, type CapacityMode } from '../sections/capacity.js';
import type { BenchReport, ReportSections } from '../report.js';
import { batchName } from '../support/goals.js';
import type { PhaseResult } from '../support/load-phase.js';
import { partsPerEvent, usPerEvent } from '../support/proc-cpu.js';

/**
 * The page's "before and after" table: the figures of a stored earlier report (the baseline a
 * piece of work started from, kept in docs/) beside this page's own, row by row. A row shows
 * only where both reports hold the figure.
 */
export const BASELINE_FILE = 'docs/bench-baseline.json';

const n = (x: number): string => x.toLocaleString('en-US');

interface Row {
  what: string;
  pick: (s: ReportSections) => string | undefined;
}

const capacityMode = (s: ReportSections, batch: number): CapacityMode | undefined => s.capacity?.modes.find((m) => m.batch === batch);

/** µs of one core per event, by part and for the machine, in a load phase at `eventsPerSecond`. */
const phasePerEvent = (phase: PhaseResult, eventsPerSecond: number): string =>
  `${partsPerEvent(phase.cpu, phase.loadClientCpu, eventsPerSecond)}; machine ${usPerEvent(phase.cpu.machine, eventsPerSecond)}`;

/** At the level a capacity mode held. */
function perEvent(s: ReportSections, batch: number): string | undefined {
  const m = capacityMode(s, batch);
  const held = m && heldStep(m);
  return held && phasePerEvent(held, held.rate);
}

/** At a fixed-rate level of section 9. */
function costPerEvent(s: ReportSections, batch: number): string | undefined {
  const level = s.cost?.levels.find((l) => l.batch === batch);
  return level && `${phasePerEvent(level, Math.max(1, level.load.achievedEventsPerSecond))} (at ${n(level.rate)} events/s)`;
}

const ROWS: Row[] = [
  { what: 'at rest, first minute: the system\'s CPU, % of a core (one dashboard open)', pick: (s) => (s.idle ? `${s.idle.systemCpu}% (Kafka ${s.idle.cpu.kafka ?? 'n/a'}%)` : undefined) },
  { what: 'at rest: resident memory, all processes', pick: (s) => (s.idle?.memory ? `${n(s.idle.memory.total)} MB` : undefined) },
  ...[1, 20].map((batch) => ({
    what: `collect endpoint vs bare server, ${batchName(batch)}`,
    pick: (s: ReportSections) => {
      const row = s.ingest?.rows.find((r) => r.batch === batch);
      return row ? `${row.ratio.toFixed(2)}x (${n(row.eventsPerSecond)} vs ${n(row.bareEventsPerSecond)} events/s)` : undefined;
    },
  })),
  ...[1, 20].map((batch) => ({ what: `fixed rate, ${batchName(batch)}: CPU per event, µs of one core (section 9)`, pick: (s: ReportSections) => costPerEvent(s, batch) })),
  { what: 'aggregator vs raw eachBatch + JSON.parse', pick: (s) => (s.aggregator ? `${s.aggregator.ratio.toFixed(2)}x (${n(s.aggregator.ours.eventsPerSecond)} events/s)` : undefined) },
  ...[1, 20].flatMap((batch) => [
    {
      what: `capacity, ${batchName(batch)}: sustained events/s (ratio to the bare server)`,
      pick: (s: ReportSections) => {
        const m = capacityMode(s, batch);
        if (!m) return undefined;
        const bare = s.capacity?.bare?.find((b) => b.batch === batch);
        const held = heldStep(m);
        const rate = m.sustained ?? held?.rate;
        if (rate === undefined) return 'none held';
        return `${n(rate)}${m.sustained === null ? ' (best probe)' : ''}${bare ? ` (${(rate / bare.eventsPerSecond).toFixed(2)}x of ${n(bare.eventsPerSecond)})` : ''}`;
      },
    },
    {
      what: `capacity, ${batchName(batch)}: freshness p50 / p99 at that level`,
      pick: (s: ReportSections) => {
        const m = capacityMode(s, batch);
        const f = m && heldStep(m)?.freshness;
        return f ? `${f.p50 ?? 'unseen'} / ${f.p99 ?? 'unseen'} ms` : undefined;
      },
    },
    { what: `capacity, ${batchName(batch)}: CPU per event, µs of one core`, pick: (s: ReportSections) => perEvent(s, batch) },
    {
      what: `capacity, ${batchName(batch)}: resident memory at that level`,
      pick: (s: ReportSections) => {
        const m = capacityMode(s, batch);
        const mem = m && heldStep(m)?.memory;
        return mem ? `${n(mem.total)} MB` : undefined;
      },
    },
  ]),
];

/** What docs/bench-baseline.json holds: the earlier report, what it was, and what to know when comparing. */
export interface Baseline {
  label: string;
  note?: string;
  report: BenchReport;
}

export function beforeAfter(now: BenchReport, stored: Baseline | undefined): string[] {
  if (!stored) return [];
  const { report: baseline, label, note } = stored;
  const rows = ROWS.flatMap((row) => {
    const before = row.pick(baseline.sections);
    const after = row.pick(now.sections);
    return before !== undefined && after !== undefined ? [`| ${row.what} | ${before} | ${after} |`] : [];
  });
  if (rows.length === 0) return [];
  return [
    '## Before and after',
    '',
    `The figures of ${label} (\`${BASELINE_FILE}\`, measured ${baseline.date} by \`${baseline.command}\`) beside this page's.`,
    'Both ran on this machine, whose speed varies by the hour: compare the ratios first.',
    ...(note ? ['', note] : []),
    '',
    '| Measurement | Before | Now |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ];
}
