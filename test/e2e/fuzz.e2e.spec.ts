import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownClickHouseEnv } from '../support/own-clickhouse.js';
import { BROWSER_UA, eventually, ownKafkaEnv } from '../support/test-system.js';

/**
 * The collect endpoint under generated and mutated input: FUZZ_RUNS requests (100,000 by
 * default; FUZZ_SEED repeats a run) against ingest running as its own process, as in
 * production, so its memory is its own. Then the aggregator reads what ingest accepted, to
 * show that nothing ingest lets through stops the pipeline.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
// printed before any assertion, so a failing run can be repeated with FUZZ_SEED
process.stderr.write(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} repeats it)\n`);
const CONCURRENCY = 32;
const MAX_EVENTS = 10;
const MAX_BODY = 65_536;
const SITES = ['shop', 'demo'];
const GEO_DB = join(root, 'node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
/** Heap growth allowed from the end of the first quarter to the end of the run, after a full GC: a few hundred bytes kept per request cross it. */
const HEAP_GROWTH_LIMIT = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// The child processes
// ---------------------------------------------------------------------------------------------

/** Loaded into the ingest process (--import): answers a probe with its memory after a full GC and its built-in prototypes. */
const PROBE = `
const names = (o) => Object.getOwnPropertyNames(o).sort().join(',');
process.on('message', (m) => {
  if (m !== 'probe') return;
  globalThis.gc(); globalThis.gc();
  const { heapUsed, rss } = process.memoryUsage();
  const inherited = [];
  for (const k in {}) inherited.push(k);
  process.send({ heapUsed, rss, inherited, prototypes: { object: names(Object.prototype), array: names(Array.prototype), func: names(Function.prototype), string: names(String.prototype) } });
});`;

interface Probe {
  heapUsed: number;
  rss: number;
  /** Enumerable keys a fresh object inherits: none unless Object.prototype was polluted. */
  inherited: string[];
  prototypes: Record<string, string>;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A built app run as its own process; its JSON log lines are kept. */
class AppProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private buffered = '';

  constructor(app: 'ingest' | 'aggregator', env: Record<string, string>, nodeArgs: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, `dist/apps/${app}/src/main.js`], {
      cwd: root,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (chunk: Buffer): void => {
      const lines = (this.buffered + chunk.toString()).split('\n');
      this.buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 60, msg: `not a log line: ${line}` });
        }
      }
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The value of `field` in its 'started' log line. */
  started(field: string): Promise<string> {
    return eventually(() => {
      if (!this.running) throw new Error(`exited early:\n${this.tail()}`);
      const line = this.logs.find((l) => l.msg === 'started');
      return line ? String(line[field]) : undefined;
    }, 60_000, `the app's started line`);
  }

  probe(): Promise<Probe> {
    return new Promise((resolve) => {
      // the app takes this channel for a supervisor's and sends on it too ({ type: 'ready' } once started)
      const answer = (m: unknown): void => {
        if (typeof m !== 'object' || m === null || !('heapUsed' in m)) return;
        this.child.off('message', answer);
        resolve(m as Probe);
      };
      this.child.on('message', answer);
      this.child.send('probe');
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code (null when killed). */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(): string {
    return this.logs.slice(-15).map((l) => JSON.stringify(l).slice(0, 400)).join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// What is sent
// ---------------------------------------------------------------------------------------------

interface Shot {
  /** Which generator made it, for the report. */
  kind: string;
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** A value written into the JSON text as it is (numbers JSON.stringify cannot write, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold Raw parts and keys such as "__proto__". */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `@@raw${raws.length - 1}@@`;
    }
    return v;
  });
  return (text ?? 'null').replace(/"@@raw(\d+)@@"/g, (_m, i: string) => raws[Number(i)]!);
}

/** Sets any key as an own property, "__proto__" included (an assignment would set the prototype). */
function withKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...target };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const NASTY = [
  "'); DROP TABLE events_raw; --",
  "\\' OR 1=1 --",
  '<script>alert(1)</script>',
  '\u0000',
  'nul\u0000inside',
  '\ud800',
  'lone \udfff low',
  'cut emoji \ud83d',
  '\u202eevil',
  '\ufeffbom',
  '😀'.repeat(50),
  '${jndi:ldap://x.example/a}',
  '{{7*7}}',
  '../../etc/passwd',
  '%00%ff%fe',
  '\r\nSet-Cookie: a=b',
  'ŧęxŧ ŵïŧĥ äççéñŧš',
  '\u0085\u2028\u2029',
];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
  { arbitrary: fc.constantFrom(...NASTY), weight: 3 },
  { arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => 'x'.repeat(n)), weight: 1 },
);
const path = fc
  .array(fc.oneof(fc.constantFrom('', 'a', 'pricing', 'blog', '%F0%9F%98%80', '%ZZ', '..', 'a b'), fc.string({ maxLength: 8 }).map(encodeURIComponent)), { maxLength: 4 })
  .map((parts) => `/${parts.join('/')}`);
const pageUrl = fc
  .tuple(fc.constantFrom('https://shop.example', 'http://demo.example:8080', 'https://xn--bcher-kva.example', 'https://www.shop.example'), path, fc.option(fc.constantFrom('?utm_source=news&utm_medium=email', '?utm_campaign=%ED%A0%80', '?q=1&q=2', '#x'), { nil: '' }))
  .map(([origin, p, q]) => `${origin}${p}${q}`);
const ASCII = /[^\x20-\x7e]/g;
// epoch milliseconds from 1970 to Date's last instant, with the edges of what can be stored
const timestamp = fc.oneof(
  fc.tuple(fc.nat(8_640_000), fc.nat(999_999_999)).map(([a, b]) => a * 1e9 + b),
  fc.constantFrom(0, 1, 253_402_300_799_999, 253_402_300_800_000, 8.64e15),
  fc.integer({ min: -600_000, max: 600_000 }).map((d) => Date.now() + d),
);

const commonFields = {
  site: fc.constantFrom(...SITES),
  url: pageUrl,
  referrer: fc.oneof(pageUrl, text, fc.constant(null)),
  title: text,
  screen: fc.tuple(fc.nat(99_999), fc.nat(99_999)).map(([w, h]) => `${w}x${h}`),
  language: fc.constantFrom('en', 'en-US', 'de-DE', 'zh-Hant-TW', 'sr-Latn-RS'),
  id: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
  ts: timestamp,
};
const props = fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/), fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), { maxKeys: 20 });
const pageview = fc.record({ ...commonFields, type: fc.constant('pageview') }, { requiredKeys: ['site', 'url'] });
const customEvent = fc.record({ ...commonFields, type: fc.constant('event'), name: text.filter((s) => s.length > 0 && s.length <= 64), props }, { requiredKeys: ['site', 'url', 'type', 'name'] });
const validEvent: fc.Arbitrary<Record<string, unknown>> = fc.oneof({ arbitrary: pageview, weight: 3 }, { arbitrary: customEvent, weight: 2 });

const deepText = fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom('array', 'object', 'mixed')).map(([depth, shape]) => {
  if (shape === 'array') return '['.repeat(depth) + ']'.repeat(depth);
  if (shape === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  return '[{"a":'.repeat(depth) + 'null' + '}]'.repeat(depth);
});

/** A value of the wrong type, size or range for whatever field it lands in. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, '', [], {}),
  fc.double(),
  fc.integer(),
  text,
  fc.integer({ min: 2049, max: 70_000 }).map((n) => 'y'.repeat(n)),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('1e999', '-1e999', '123456789012345678901234567890', '-0', '1.7976931348623157e309', '5e-324', '9007199254740993', '0x10', 'NaN', 'Infinity').map((t) => new Raw(t)),
  deepText.map((t) => new Raw(t)),
  fc.constantFrom(...PROTO_KEYS).map((k) => new Raw(`{"${k}":{"polluted":"yes"}}`)),
);

const FIELDS = ['site', 'url', 'referrer', 'title', 'screen', 'language', 'id', 'ts', 'type', 'name', 'props'];

/** One to three changes to a valid event: a field set to a weird value, removed, or a strange key added. */
const mutatedEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    validEvent,
    fc.array(
      fc.oneof(
        fc.tuple(fc.constant('set'), fc.constantFrom(...FIELDS), weird),
        fc.tuple(fc.constant('delete'), fc.constantFrom(...FIELDS), fc.constant(null)),
        fc.tuple(fc.constant('add'), fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 10 })), weird),
        fc.tuple(fc.constant('prop'), fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 70 })), weird),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([event, changes]) => {
    let e: Record<string, unknown> = { ...event };
    for (const [op, key, value] of changes) {
      if (op === 'set' || op === 'add') e = withKey(e, key, value);
      else if (op === 'delete') delete e[key];
      else e = withKey(e, 'props', withKey(typeof e['props'] === 'object' && e['props'] !== null ? (e['props'] as Record<string, unknown>) : {}, key, value));
    }
    return e;
  });

const batch = (item: fc.Arbitrary<unknown>) => fc.array(item, { minLength: 1, maxLength: MAX_EVENTS + 3 });

const INVALID_UTF8 = [[0xff], [0x80], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xfe, 0xfe, 0xff]];

/** Bytes of JSON text corrupted: cut short, a byte changed, or invalid UTF-8 put in. */
const corrupted = fc
  .tuple(fc.oneof(validEvent, batch(validEvent)), fc.constantFrom('cut', 'flip', 'utf8', 'utf8'), fc.nat(), fc.nat(255), fc.constantFrom(...INVALID_UTF8))
  .map(([value, how, at, byte, bad]) => {
    const bytes = Buffer.from(toJson(value));
    const i = at % bytes.length;
    if (how === 'cut') return bytes.subarray(0, i);
    if (how === 'flip') return Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i + 1)]);
    return Buffer.concat([bytes.subarray(0, i), Buffer.from(bad), bytes.subarray(i)]);
  });

const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'text/plain;charset=UTF-8'), weight: 12 },
  { arbitrary: fc.constantFrom('application/json; charset=utf-8', 'TEXT/PLAIN', 'text/plain; charset=latin1', 'application/json; charset=utf-16'), weight: 2 },
  { arbitrary: fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/gif', '*/*', ''), weight: 1 },
  { arbitrary: fc.string({ maxLength: 30 }).map((s) => s.replace(ASCII, '')), weight: 1 },
);
const headers = fc.record(
  {
    'user-agent': fc.oneof(fc.constantFrom(BROWSER_UA, 'curl/8.4.0', 'Mozilla/5.0 (compatible; Googlebot/2.1)', ''), fc.string({ maxLength: 200 }).map((s) => s.replace(ASCII, ''))),
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('unknown', '::1, 10.0.0.1', '999.1.1.1', ' , ,', '1.2.3.4, 5.6.7.8, evil'), fc.string({ maxLength: 40 }).map((s) => s.replace(ASCII, ''))),
    'cf-ipcountry': fc.oneof(fc.constantFrom('DE', 'us', 'XX', 'T1', ''), fc.string({ maxLength: 4 }).map((s) => s.replace(ASCII, ''))),
  },
  { requiredKeys: [] },
);

const post = (kind: string, body: fc.Arbitrary<Buffer>): fc.Arbitrary<Shot> =>
  fc.tuple(body, contentType, headers).map(([b, type, h]) => ({ kind, method: 'POST' as const, path: '/api/collect', headers: { ...h, ...(type ? { 'content-type': type } : {}) }, body: b }));
const json = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> => value.map((v) => Buffer.from(toJson(v)));

/** Lone surrogates replaced: encodeURIComponent refuses them. */
const wellFormed = (s: string): string => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

const pixel: fc.Arbitrary<Shot> = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom('site', 'url', 'ref', 'title', 'token', '__proto__', 'site[]'), fc.oneof(fc.constantFrom(...SITES), pageUrl, text)), { maxLength: 6 }),
    fc.option(pageUrl, { nil: undefined }),
    headers,
  )
  .map(([pairs, referer, h]) => ({
    kind: 'pixel',
    method: 'GET' as const,
    path: `/api/collect/pixel.gif?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(wellFormed(v))}`).join('&')}`,
    headers: { ...h, ...(referer ? { referer } : {}) },
    body: Buffer.alloc(0),
  }));

const shot: fc.Arbitrary<Shot> = fc.oneof(
  { arbitrary: post('valid event', json(validEvent)), weight: 18 },
  { arbitrary: post('valid batch', json(batch(validEvent))), weight: 4 },
  { arbitrary: post('mutated event', json(mutatedEvent)), weight: 30 },
  { arbitrary: post('mixed batch', json(batch(fc.oneof(validEvent, mutatedEvent, weird)))), weight: 14 },
  { arbitrary: post('any JSON', json(fc.oneof(fc.jsonValue(), fc.anything({ maxDepth: 3 }).map((v) => (v === undefined ? null : v))))), weight: 5 },
  { arbitrary: post('corrupted text', corrupted), weight: 12 },
  { arbitrary: post('random bytes', fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a))), weight: 3 },
  { arbitrary: post('deep nesting', deepText.map((t) => Buffer.from(t))), weight: 3 },
  { arbitrary: post('oversize body', fc.integer({ min: MAX_BODY + 1, max: 3 * MAX_BODY }).map((n) => Buffer.from(`{"site":"shop","url":"https://shop.example/","title":"${'z'.repeat(n)}"}`))), weight: 1 },
  { arbitrary: pixel, weight: 4 },
);

/** The shots of a run, generated a thousand at a time so they never sit in memory together. */
function* shots(seed: number, count: number): Generator<Shot> {
  for (let done = 0; done < count; done += 1000) yield* fc.sample(shot, { seed: seed + done, numRuns: Math.min(1000, count - done) });
}

// ---------------------------------------------------------------------------------------------
// Sending, and what the answers add up to
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  type: string | undefined;
  text: string;
}

/** Error codes whose refused events ingest writes to the dead-letter topic (400s; not 413, 415 or 429). */
const DEAD_LETTERED = new Set(['invalid_json', 'invalid_body', 'invalid_event', 'unknown_site']);

class Tally {
  sent = 0;
  accepted = 0;
  readonly statuses = new Map<number, number>();
  /** Dead letters the answers announce, per reason. */
  readonly letters = new Map<string, number>();
  readonly failures: string[] = [];
  connectionErrors = 0;

  record(s: Shot, answer: Answer): void {
    this.sent += 1;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    const problem = this.check(s, answer);
    if (problem) this.fail(s, problem);
  }

  fail(s: Shot, problem: string): void {
    if (this.failures.length < 10) this.failures.push(`${problem} for a ${s.kind} ${s.method} ${s.path.slice(0, 200)} ${JSON.stringify(s.headers)} body ${JSON.stringify(s.body.subarray(0, 300).toString('latin1'))}`);
  }

  get letterCount(): number {
    return [...this.letters.values()].reduce((a, b) => a + b, 0);
  }

  private letter(reason: string, n = 1): void {
    this.letters.set(reason, (this.letters.get(reason) ?? 0) + n);
  }

  /** What is wrong with an answer: a 5xx or anything else that is neither 2xx nor 4xx, or a body not in the house shape. */
  private check(s: Shot, { status, type, text }: Answer): string | undefined {
    if (status < 200 || (status >= 300 && status < 400) || status >= 500) return `status ${status} (${text.slice(0, 200)})`;
    if (s.kind === 'pixel' && status === 202) {
      this.accepted += 1;
      return type === 'image/gif' ? undefined : `a 202 pixel of type ${type}`;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return `status ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
    }
    const rejected = Array.isArray(body['rejected']) ? (body['rejected'] as { error: string }[]) : [];
    if (status === 202) {
      const accepted = Number(body['accepted']);
      if (!(accepted >= 1) || !Array.isArray(body['ids']) || body['ids'].length !== accepted) return `a 202 without accepted events: ${text.slice(0, 200)}`;
      this.accepted += accepted;
      for (const r of rejected) this.letter(r.error);
      return undefined;
    }
    if (status === 200 || status === 201) return `status ${status}`;
    if (typeof body['error'] !== 'string' || typeof body['detail'] !== 'string') return `a ${status} not shaped { error, detail }: ${text.slice(0, 200)}`;
    const error = body['error'];
    if (error === 'invalid_events') for (const r of rejected) this.letter(r.error);
    else if (DEAD_LETTERED.has(error)) this.letter(error);
    return undefined;
  }
}

function send(agent: Agent, base: URL, s: Shot): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: base.hostname, port: base.port, method: s.method, path: s.path, headers: s.method === 'POST' ? { ...s.headers, 'content-length': String(s.body.length) } : s.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(s.method === 'POST' ? s.body : undefined);
  });
}

/** Sends every shot, `CONCURRENCY` at a time over keep-alive connections. */
async function fire(agent: Agent, base: URL, all: Iterator<Shot>, count: number, tally: Tally): Promise<void> {
  let left = count;
  const worker = async (): Promise<void> => {
    while (left > 0) {
      left -= 1;
      const next = all.next();
      if (next.done) return;
      const s = next.value;
      let answer: Answer;
      try {
        answer = await send(agent, base, s);
      } catch (err) {
        // ingest answers 413 to an oversize body and closes the connection, maybe before the client finished writing it
        tally.connectionErrors += 1;
        if (s.kind !== 'oversize body') tally.fail(s, `connection error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        else tally.sent += 1;
        continue;
      }
      tally.record(s, answer);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Records per reason in the dead-letter topic, read from the start. */
async function deadLetterReasons(kafka: Kafka, topic: string, expected: number): Promise<{ reasons: Map<string, number>; malformed: number }> {
  const consumer = kafka.consumer({ groupId: `fuzz-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const reasons = new Map<string, number>();
  let malformed = 0;
  let read = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          read += 1;
          const letter = JSON.parse(m.value?.toString() ?? 'null') as { reason?: unknown; detail?: unknown; source?: unknown } | null;
          if (letter?.source !== 'ingest' || typeof letter.reason !== 'string' || typeof letter.detail !== 'string' || letter.detail === '') malformed += 1;
          else reasons.set(letter.reason, (reasons.get(letter.reason) ?? 0) + 1);
        }
      },
    });
    await eventually(() => (read >= expected ? true : undefined), 60_000, `${expected} dead letters read (${read} so far)`);
    return { reasons, malformed };
  } finally {
    await consumer.disconnect();
  }
}

async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The sum of a Prometheus series over its labels. */
function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (sample?.[1] === name) sum += Number(sample[2]);
  }
  return sum;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

describe(`the collect endpoint under ${RUNS} generated and mutated requests (seed ${SEED})`, () => {
  const id = randomUUID().slice(0, 8);
  const brokers = inject('kafkaBrokers');
  const env: Record<string, string> = {
    LOG_LEVEL: 'info',
    ...ownKafkaEnv(`fuzz-${id}`, brokers),
    ...ownClickHouseEnv(`fuzz_${id}`),
    INGEST_PORT: '0',
    AGGREGATOR_PORT: '0',
    BOOTSTRAP_SITES: SITES.join(','),
    COLLECT_MAX_EVENTS: String(MAX_EVENTS),
    COLLECT_MAX_BODY_BYTES: String(MAX_BODY),
    // every request counts: the limit is tested on its own (abuse.e2e)
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    TRUST_PROXY: 'true',
    COUNTRY_HEADER: 'CF-IPCountry',
    GEOIP_DB_PATH: GEO_DB,
  };
  const kafka = new Kafka({ clientId: `fuzz-check-${id}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const tally = new Tally();
  let ingest: AppProcess;
  let aggregator: AppProcess | undefined;
  let base: URL;

  beforeAll(async () => {
    ingest = new AppProcess('ingest', env, ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(PROBE)}`]);
    base = new URL(await ingest.started('collect'));
    // ingest comes up before its topics exist; 200 once Kafka takes events and it has read the site list and agreed on today's salt
    await eventually(async () => ((await fetch(`${base.origin}/health`)).status === 200 ? true : undefined), 120_000, 'ingest healthy');
  });

  afterAll(async () => {
    await Promise.all([ingest?.stop(), aggregator?.stop()]);
  });

  it('answers every request 2xx or 4xx in the house shape, stays up with a steady heap and clean prototypes, and dead-letters every refused event with its reason', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const all = shots(SEED, RUNS);
    const started = Date.now();
    const probes: Probe[] = [await ingest.probe()];
    for (let quarter = 0; quarter < 4; quarter++) {
      const count = Math.floor(RUNS / 4) + (quarter === 3 ? RUNS % 4 : 0);
      await fire(agent, base, all, count, tally);
      probes.push(await ingest.probe());
    }
    const seconds = (Date.now() - started) / 1000;
    agent.destroy();

    const [atStart, afterFirstQuarter, atEnd] = [probes[0]!, probes[1]!, probes[4]!];
    console.log(
      [
        `fuzz: ${tally.sent} requests in ${seconds.toFixed(1)} s (${Math.round(tally.sent / seconds)}/s), seed ${SEED}`,
        `  statuses: ${[...tally.statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ')}; connection closed on an oversize body: ${tally.connectionErrors}`,
        `  events accepted: ${tally.accepted}; dead letters announced: ${tally.letterCount} (${[...tally.letters.entries()].map(([r, n]) => `${r} ${n}`).join(', ')})`,
        `  ingest heap after GC: ${probes.map((p) => mb(p.heapUsed)).join(' -> ')}; RSS: ${probes.map((p) => mb(p.rss)).join(' -> ')}`,
      ].join('\n'),
    );

    expect(tally.failures, `seed ${SEED}`).toEqual([]);
    expect(tally.sent).toBe(RUNS);
    expect(ingest.running).toBe(true);
    expect(atEnd.heapUsed - afterFirstQuarter.heapUsed, `heap ${mb(afterFirstQuarter.heapUsed)} -> ${mb(atEnd.heapUsed)}`).toBeLessThan(HEAP_GROWTH_LIMIT);
    expect(atEnd.inherited).toEqual([]);
    expect(atEnd.prototypes).toEqual(atStart.prototypes);
    // a refused event is dead-lettered without fail; an error log line would mean a 500 or a lost letter
    expect(ingest.logs.filter((l) => l.level >= 50 || l.msg === 'dead letters not written').map((l) => JSON.stringify(l).slice(0, 300))).toEqual([]);

    // still serving: a plain event is accepted
    const last = await send(new Agent(), base, { kind: 'valid event', method: 'POST', path: '/api/collect', headers: { 'content-type': 'application/json', 'user-agent': BROWSER_UA }, body: Buffer.from(JSON.stringify({ site: 'shop', url: 'https://shop.example/after' })) });
    expect(last.status).toBe(202);
    tally.accepted += 1;

    // exactly the accepted events in the events topic, exactly the announced dead letters in theirs
    expect(await topicSize(kafka, env['KAFKA_TOPIC_EVENTS']!)).toBe(tally.accepted);
    const expectedLetters = tally.letterCount;
    await eventually(async () => ((await topicSize(kafka, env['KAFKA_TOPIC_DEAD_LETTER']!)) >= expectedLetters ? true : undefined), 30_000, `${expectedLetters} dead letters`);
    const { reasons, malformed } = await deadLetterReasons(kafka, env['KAFKA_TOPIC_DEAD_LETTER']!, expectedLetters);
    expect(malformed).toBe(0);
    expect(Object.fromEntries(reasons)).toEqual(Object.fromEntries(tally.letters));
    expect(await topicSize(kafka, env['KAFKA_TOPIC_DEAD_LETTER']!)).toBe(expectedLetters);
  }, 600_000);

  it('stops cleanly, and the aggregator stores every event it accepted: none makes ClickHouse refuse an insert', async () => {
    expect(await ingest.stop()).toBe(0);
    const running = (aggregator = new AppProcess('aggregator', env));
    try {
      const metrics = await running.started('metrics');
      let last = '';
      await eventually(
        async () => {
          last = await (await fetch(metrics)).text();
          const consumed = metric(last, 'clickstream_aggregator_events_processed_total') + metric(last, 'clickstream_aggregator_duplicates_skipped_total');
          // lag 0 on every partition: every record stored and committed
          return consumed === tally.accepted && metric(last, 'clickstream_aggregator_consumer_lag') === 0 ? true : undefined;
        },
        120_000,
        `all ${tally.accepted} accepted events stored`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${last.split('\n').filter((l) => /^clickstream_aggregator_(events_processed|duplicates|insert_failures|clickhouse_up|consumer_lag)/.test(l)).join('\n')}\n${running.tail()}`);
      });
      expect(metric(last, 'clickstream_aggregator_insert_failures_total')).toBe(0);
      expect(metric(last, 'clickstream_aggregator_dead_lettered_total')).toBe(0);
    } finally {
      expect(await running.stop()).toBe(0);
    }
  }, 240_000);
});
