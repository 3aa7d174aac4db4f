import { parseArgs } from 'node:util';
import { runLoad, type LoadOptions } from './load-runner.js';

const USAGE = `usage: npm run loadgen -- [options]

  Offers realistic tracker traffic to a running Clickstream at a fixed rate (open loop) and
  reports what came back. Loopback only. Start Clickstream with TRUST_PROXY=1 so each
  synthetic visitor (sent as X-Forwarded-For) has its own address and rate limit.

  --url <url>          collect endpoint            (default http://127.0.0.1:3001/api/collect)
  --rate <n>           events per second           (default 1000)
  --duration <s>       seconds                     (default 10, at most 3600)
  --batch <n>          events per request          (default 1: single events)
  --sites <a,b>        site ids (must exist)       (default demo)
  --visitors <n>       distinct visitors           (default 20000)
  --pages <n>          distinct pages per site     (default 200)
  --bots <share>       share of bot visitors       (default 0.05)
  --events <share>     share of custom events      (default 0.1)
  --malformed <share>  share of malformed events   (default 0)
  --max-in-flight <n>  requests in flight at most  (default 512)
  --retry <s>          resend failed requests (no answer, 429, 5xx) with
                       the same event ids for up to s seconds, as the
                       tracker does                (default 0: no retries)
  --seed <n>           traffic seed                (default 1)
  --json               print the report as one JSON line
`;

function number(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new RangeError(`--${name}: expected a number from ${min} to ${max}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' }, batch: { type: 'string' }, sites: { type: 'string' },
      visitors: { type: 'string' }, pages: { type: 'string' }, bots: { type: 'string' }, events: { type: 'string' }, malformed: { type: 'string' },
      'max-in-flight': { type: 'string' }, retry: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const options: LoadOptions = {
    url: values.url ?? 'http://127.0.0.1:3001/api/collect',
    rate: number(values.rate, 'rate', 1000, 1, 1_000_000),
    durationSeconds: number(values.duration, 'duration', 10, 1, 3600),
    batch: number(values.batch, 'batch', 1, 1, 100),
    sites: (values.sites ?? 'demo').split(',').map((s) => s.trim()).filter(Boolean),
    visitors: number(values.visitors, 'visitors', 20_000, 1, 10_000_000),
    pages: number(values.pages, 'pages', 200, 1, 100_000),
    botShare: number(values.bots, 'bots', 0.05, 0, 1),
    customEventShare: number(values.events, 'events', 0.1, 0, 1),
    malformedShare: number(values.malformed, 'malformed', 0, 0, 1),
    maxInFlight: number(values['max-in-flight'], 'max-in-flight', 512, 1, 100_000),
    seed: number(values.seed, 'seed', 1, 0, 2 ** 31),
    ...(values.retry !== undefined ? { retry: { giveUpAfterMs: number(values.retry, 'retry', 0, 0, 3600) * 1000 } } : {}),
    onProgress: values.json ? undefined : progressBar(),
  };
  const report = await runLoad(options);
  if (!values.json) process.stderr.write('\n');
  const { acceptedIds: _ids, ...summary } = report;
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      [
        `offered ${report.offeredRate} events/s for ${report.durationSeconds} s in batches of ${report.batch}`,
        `requests: ${report.requests.sent} sent, ${report.requests.answered} answered, ${report.requests.failed} failed, ${report.requests.dropped} dropped (in-flight cap), ${report.requests.retries} retries`,
        `events:   ${report.events.sent} sent, ${report.events.accepted} accepted, ${report.events.malformed} malformed on purpose, ${report.events.unacknowledged} never acknowledged`,
        `status:   ${Object.entries(report.byStatus).map(([s, n]) => `${s}: ${n}`).join(', ')}`,
        `achieved: ${report.achievedEventsPerSecond} accepted events/s`,
        `ack latency: p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms (after the warm-up: p50 ${report.steadyLatencyMs.p50} ms, p99 ${report.steadyLatencyMs.p99} ms, max ${report.steadyLatencyMs.max} ms)`,
        '',
      ].join('\n'),
    );
  }
}

function progressBar(): (p: { elapsedMs: number; sentRequests: number; answered: number; inFlight: number }) => void {
  let last = 0;
  return (p) => {
    if (p.elapsedMs - last < 500) return;
    last = p.elapsedMs;
    process.stderr.write(`\r  ${(p.elapsedMs / 1000).toFixed(1)} s  sent ${p.sentRequests}  answered ${p.answered}  in flight ${p.inFlight}   `);
  };
}

main().catch((err: Error) => {
  process.stderr.write(`loadgen: ${err.message}\n`);
  process.exit(1);
});
