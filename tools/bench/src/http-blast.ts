import { Agent, request } from 'node:http';
import { percentile } from '../../loadgen/src/load-runner.js';

export interface BlastOptions {
  url: string;
  /** Connections kept busy: each sends its next request as soon as the previous one is answered (closed loop). */
  connections: number;
  durationMs: number;
  /** The body of the i-th request. */
  body: (i: number) => string;
  headers?: (i: number) => Record<string, string>;
  /** Read each 202's JSON body and sum its `accepted` events (the collect endpoint's answer). */
  countAccepted?: boolean;
}

export interface BlastResult {
  requests: number;
  requestsPerSecond: number;
  byStatus: Record<string, number>;
  latencyMs: { p50: number; p99: number };
  /** Events the 202 answers accepted, when counted (`countAccepted`). */
  acceptedEvents?: number;
  acceptedEventsPerSecond?: number;
}

/** Measures how many requests per second a server answers with `connections` requests always in flight. */
export async function blast(options: BlastOptions): Promise<BlastResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  let accepted = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const i = sent++;
      const body = options.body(i);
      const at = performance.now();
      const r = request(
        {
          agent,
          method: 'POST',
          hostname: target.hostname,
          port: target.port,
          path: target.pathname,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(options.headers?.(i) ?? {}) },
        },
        (res) => {
          let text = '';
          if (options.countAccepted) {
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
          } else res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - at);
            if (options.countAccepted && res.statusCode === 202) accepted += acceptedOf(text);
            byStatus[String(res.statusCode)] = (byStatus[String(res.statusCode)] ?? 0) + 1;
            resolve();
          });
        },
      );
      r.on('error', () => {
        byStatus['error'] = (byStatus['error'] ?? 0) + 1;
        resolve();
      });
      r.end(body);
    });

  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) await one();
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const answered = latencies.length;
  return {
    requests: answered,
    requestsPerSecond: Math.round(answered / seconds),
    byStatus,
    latencyMs: { p50: Math.round(percentile(latencies, 50) * 10) / 10, p99: Math.round(percentile(latencies, 99) * 10) / 10 },
    ...(options.countAccepted ? { acceptedEvents: accepted, acceptedEventsPerSecond: Math.round(accepted / seconds) } : {}),
  };
}

function acceptedOf(body: string): number {
  try {
    const n = (JSON.parse(body) as { accepted?: unknown }).accepted;
    return typeof n === 'number' ? n : 0;
  } catch {
    return 0;
  }
}
