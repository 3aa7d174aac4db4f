import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * How often the event-loop delay is sampled for the `*_eventloop_lag_*` metrics. prom-client's
 * default (10 ms) is a libuv timer that wakes an idle process a hundred times a second: measured
 * with strace on an idle ingest, 200 of its ~210 wake-ups per second came from it. At 100 ms a
 * stall shorter than that can fall between two samples; the longer ones still show.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** prom-client's process metrics (CPU, memory, handles, event-loop delay, GC) under `prefix`. */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
