import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '@clickstream/platform';

/** The aggregator's Prometheus metrics, in a registry of its own. */
@Injectable()
export class AggregatorMetrics {
  readonly registry = new Registry();
  readonly processed = new Counter({ name: 'clickstream_aggregator_events_processed_total', help: 'Events stored and counted, by type', labelNames: ['type'] as const, registers: [this.registry] });
  readonly duplicates = new Counter({ name: 'clickstream_aggregator_duplicates_skipped_total', help: 'Redelivered records and retried events skipped', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly deadLettered = new Counter({ name: 'clickstream_aggregator_dead_lettered_total', help: 'Records that could not be decoded, sent to the dead-letter topic', registers: [this.registry] });
  readonly lateEvents = new Counter({ name: 'clickstream_aggregator_late_events_total', help: 'Events older than their partition watermark (counted, flagged late)', registers: [this.registry] });
  readonly insertRows = new Histogram({ name: 'clickstream_aggregator_insert_rows', help: 'Rows per ClickHouse insert', buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 50000], registers: [this.registry] });
  readonly insertLatency = new Histogram({
    name: 'clickstream_aggregator_insert_latency_seconds',
    help: 'Time of a ClickHouse insert, retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly insertFailures = new Counter({ name: 'clickstream_aggregator_insert_failures_total', help: 'Failed ClickHouse inserts (each retried)', registers: [this.registry] });
  readonly storageUp = new Gauge({ name: 'clickstream_aggregator_clickhouse_up', help: '1 while ClickHouse takes inserts, 0 while consumption is paused for it', registers: [this.registry] });
  readonly windowsOpen = new Gauge({ name: 'clickstream_aggregator_windows_open', help: 'Event-time windows not yet closed by the watermark', registers: [this.registry] });
  readonly lag = new Gauge({ name: 'clickstream_aggregator_consumer_lag', help: 'Records between the committed offset and the end of the partition', labelNames: ['partition'] as const, registers: [this.registry] });
  readonly watermark = new Gauge({ name: 'clickstream_aggregator_watermark_seconds', help: 'Watermark of each partition (event time, Unix seconds)', labelNames: ['partition'] as const, registers: [this.registry] });

  constructor() {
    this.storageUp.set(1);
    collectProcessMetrics(this.registry, 'clickstream_aggregator_');
  }
}
