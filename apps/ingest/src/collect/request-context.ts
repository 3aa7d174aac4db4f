import type { FastifyRequest } from 'fastify';
import type { IngestMetrics } from '../metrics/ingest-metrics.js';
import type { CollectContext } from './collect.service.js';

/** What the collect pipeline needs to know of the request an event came in. */
export function contextOf(request: FastifyRequest): CollectContext {
  return { ip: request.ip, userAgent: request.headers['user-agent'], headers: request.headers, receivedAt: Date.now() };
}

/** Runs a request's work counted in the in-flight gauge. */
export async function inFlight<T>(metrics: IngestMetrics, work: () => Promise<T>): Promise<T> {
  metrics.inFlight.inc();
  try {
    return await work();
  } finally {
    metrics.inFlight.dec();
  }
}
