import type { AggregatorResult } from './sections/aggregator.js';
import type { CapacityResult } from './sections/capacity.js';
import type { ClickHouseResult } from './sections/clickhouse.js';
import type { CostResult } from './sections/cost.js';
import type { FreshnessResult } from './sections/freshness.js';
import type { GatewayResult } from './sections/gateway.js';
import type { IdleResult } from './sections/idle.js';
import type { IngestResult } from './sections/ingest.js';
import type { MalformedResult } from './sections/malformed.js';
import type { ProducerResult } from './sections/producer.js';
import type { TrackerResult } from './sections/tracker.js';

/** The sections in the order they run; `--only` takes any of these names. */
export const SECTIONS = ['idle', 'ingest', 'tracker', 'producer', 'aggregator', 'freshness', 'gateway', 'malformed', 'capacity', 'cost', 'clickhouse'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface SectionResults {
  idle: IdleResult;
  ingest: IngestResult;
  tracker: TrackerResult;
  producer: ProducerResult;
  aggregator: AggregatorResult;
  freshness: FreshnessResult;
  gateway: GatewayResult;
  malformed: MalformedResult;
  capacity: CapacityResult;
  cost: CostResult;
  clickhouse: ClickHouseResult;
}

/** When and how a section was measured: a partial run (`--only`) keeps the other sections' own. */
export interface SectionRun {
  command: string;
  startedAt: string;
  durationMs: number;
  quick: boolean;
  cores: number;
}

export type SectionReport<K extends SectionName> = SectionResults[K] & { run: SectionRun };

export type ReportSections = { [K in SectionName]?: SectionReport<K> };

export interface BenchReport {
  command: string;
  date: string;
  cores: number;
  cpu: string;
  node: string;
  quick: boolean;
  /** Sections measured by this invocation. */
  ran: SectionName[];
  durationMs: number;
  sections: ReportSections;
  /** Sections that threw, with the error: their figures are missing. */
  failures: { section: SectionName; error: string }[];
}
