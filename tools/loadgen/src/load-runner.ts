import { Agent, request } from 'node:http';
import { Traffic, type GeneratedRequest, type TrafficOptions } from './traffic.js';

export interface LoadOptions extends TrafficOptions {
  /** Collect endpoint, e.g. http://127.0.0.1:3001/api/collect. Loopback only. */
  url: string;
  /** Events per second to offer (open loop: not slowed by the server's replies). */
  rate: number;
  durationSeconds: number;
  /** Events per request (1: single events; more: batches). */
  batch: number;
  /** Requests allowed in flight; beyond, a due request is counted as dropped, never queued. */
  maxInFlight: number;
  /**
   * Resend a request that failed (no answer, 429 or 5xx) with the same body, as the tracker
   * does, until it is answered or `retry.giveUpAfterMs` passed since its first attempt.
   */
  retry?: { giveUpAfterMs: number };
  onProgress?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  elapsedMs: number;
  sentRequests: number;
  answered: number;
  inFlight: number;
}

export interface LoadReport {
  offeredRate: number;
  durationSeconds: number;
  batch: number;
  /** Requests of the schedule (first attempts); `retries` are extra attempts of failed ones. */
  requests: { sent: number; answered: number; failed: number; dropped: number; retries: number };
  /** `unacknowledged`: events whose request never got an answer other than a failure. */
  events: { sent: number; accepted: number; malformed: number; unacknowledged: number };
  byStatus: Record<string, number>;
  achievedEventsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /**
   * The same for requests sent after the warm-up (the first 2 s, or a fifth of a shorter run),
   * while the client opens its connections and the server's code paths get compiled.
   */
  steadyLatencyMs: { p50: number; p99: number; max: number };
  /** Client event ids answered 202, for the caller to compare with what was stored. */
  acceptedIds: string[];
}

/** Answers worth another attempt: the server was unreachable, busy or unable to persist. */
function retryable(status: string): boolean {
  return status === 'error' || status === '429' || status.startsWith('5');
}

/** The tracker's backoff: 0.5 s doubling to 8 s, with jitter so retries do not arrive in waves. */
function backoffMs(attempt: number): number {
  return Math.min(8000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function assertLoopback(url: URL): void {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new RangeError(`url: the load generator only targets loopback addresses, got ${url.hostname}`);
}

/**
 * Offers `rate` events per second for `durationSeconds`, on a fixed schedule whatever the
 * answers (open loop), and reports what came back.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const target = new URL(options.url);
  assertLoopback(target);
  const traffic = new Traffic(options);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight });
  const requestsPerSecond = options.rate / options.batch;
  const total = Math.round(requestsPerSecond * options.durationSeconds);
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const steadyLatencies: number[] = [];
  const warmupMs = Math.min(2000, (options.durationSeconds * 1000) / 5);
  const acceptedIds: string[] = [];
  const counts = { sent: 0, answered: 0, failed: 0, dropped: 0, retries: 0, eventsSent: 0, accepted: 0, malformed: 0, unacknowledged: 0 };
  let inFlight = 0;
  let waitingRetries = 0;
  const started = performance.now();

  const send = (): void => {
    const req = traffic.next(options.batch);
    const body = JSON.stringify(options.batch === 1 ? req.events[0]!.body : req.events.map((e) => e.body));
    counts.sent += 1;
    counts.eventsSent += req.events.length;
    counts.malformed += req.events.filter((e) => e.malformed).length;
    attempt(req, body, 0, performance.now());
  };

  const attempt = (req: GeneratedRequest, body: string, tries: number, firstAt: number): void => {
    inFlight += 1;
    const at = performance.now();
    const done = (status: string, text: string): void => {
      inFlight -= 1;
      counts.answered += 1;
      const latency = performance.now() - at;
      latencies.push(latency);
      if (at - started >= warmupMs) steadyLatencies.push(latency);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (retryable(status)) {
        const wait = backoffMs(tries);
        if (options.retry && performance.now() + wait - firstAt < options.retry.giveUpAfterMs) {
          counts.retries += 1;
          waitingRetries += 1;
          setTimeout(() => {
            waitingRetries -= 1;
            attempt(req, body, tries + 1, firstAt);
          }, wait);
        } else counts.unacknowledged += req.events.length;
      }
      if (status === '202') {
        try {
          const answer = JSON.parse(text) as { accepted: number; rejected?: { index: number }[] };
          counts.accepted += answer.accepted;
          const rejected = new Set((answer.rejected ?? []).map((r) => r.index));
          req.events.forEach((e, i) => {
            if (!rejected.has(i) && typeof e.body['id'] === 'string') acceptedIds.push(e.body['id']);
          });
        } catch {
          // a 202 without the usual body still counts as answered
        }
      }
    };
    const r = request(
      { agent, method: 'POST', hostname: target.hostname, port: target.port, path: target.pathname, headers: { 'Content-Type': 'application/json', 'User-Agent': req.userAgent, 'X-Forwarded-For': req.ip, 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(String(res.statusCode ?? 0), text));
      },
    );
    r.on('error', () => {
      counts.failed += 1;
      done('error', '');
    });
    r.end(body);
  };

  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.min(total, Math.floor((elapsed / 1000) * requestsPerSecond));
      while (counts.sent + counts.dropped < due) {
        if (inFlight >= options.maxInFlight) counts.dropped += 1;
        else send();
      }
      options.onProgress?.({ elapsedMs: elapsed, sentRequests: counts.sent, answered: counts.answered, inFlight });
      if (counts.sent + counts.dropped >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  // wait for the answers still in flight and the retries still due, bounded
  const deadline = performance.now() + 30_000 + (options.retry?.giveUpAfterMs ?? 0);
  while ((inFlight > 0 || waitingRetries > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const elapsedSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  const round = (n: number) => Math.round(n * 10) / 10;
  const summary = (values: number[]) => {
    values.sort((a, b) => a - b);
    return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(values.at(-1) ?? 0) };
  };
  return {
    offeredRate: options.rate,
    durationSeconds: round(elapsedSeconds),
    batch: options.batch,
    requests: { sent: counts.sent, answered: counts.answered, failed: counts.failed, dropped: counts.dropped, retries: counts.retries },
    events: { sent: counts.eventsSent, accepted: counts.accepted, malformed: counts.malformed, unacknowledged: counts.unacknowledged },
    byStatus,
    achievedEventsPerSecond: Math.round(counts.accepted / elapsedSeconds),
    latencyMs: summary(latencies),
    steadyLatencyMs: summary(steadyLatencies),
    acceptedIds,
  };
}
