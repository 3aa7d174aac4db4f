import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '@clickstream/platform';

/** The collect endpoint's Prometheus metrics, in a registry of its own (one per ingest app). */
@Injectable()
export class IngestMetrics {
  readonly registry = new Registry();
  readonly accepted = new Counter({ name: 'clickstream_ingest_events_accepted_total', help: 'Events acknowledged by Kafka and answered 202', labelNames: ['type'] as const, registers: [this.registry] });
  readonly rejected = new Counter({ name: 'clickstream_ingest_events_rejected_total', help: 'Events or requests refused, by reason', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly identify = new Counter({ name: 'clickstream_ingest_umami_identify_total', help: "Umami identify calls acknowledged (nothing of them is stored)", registers: [this.registry] });
  readonly bots = new Counter({ name: 'clickstream_ingest_bot_events_total', help: 'Accepted events from bots (stored, counted apart)', registers: [this.registry] });
  readonly produceLatency = new Histogram({
    name: 'clickstream_ingest_produce_latency_seconds',
    help: 'Time from a request handing its events to the producer until Kafka acknowledged them',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({ name: 'clickstream_ingest_request_events', help: 'Events per collect request', buckets: [1, 2, 5, 10, 20, 50, 100], registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'clickstream_ingest_requests_in_flight', help: 'Collect requests being handled', registers: [this.registry] });

  constructor() {
    collectProcessMetrics(this.registry, 'clickstream_ingest_');
  }
}
