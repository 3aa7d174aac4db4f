import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_UA, startTestSystem, type TestSystem } from '../support/test-system.js';

const REQUEST_TIMEOUT_MS = 1500;
const MAX_BODY = 65_536;
const BURST = 20;

/** What a client written byte by byte got back: the answer, and how much of its request it had sent by then. */
interface Exchange {
  status: number | undefined;
  body: Record<string, unknown> | undefined;
  /** Bytes written after the head, before the answer came or the connection closed. */
  sent: number;
  closed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `count` pieces of `piece`, one every `everyMs`. */
async function* trickle(piece: Buffer, count: number, everyMs: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    yield piece;
    await sleep(everyMs);
  }
}

/**
 * Writes `head`, then what `feed` yields until the server answers or closes the connection;
 * resolves once the connection is closed, or after `giveUpMs` with `closed: false`.
 */
function rawRequest(url: string, head: string, feed: AsyncIterable<Buffer> = trickle(Buffer.alloc(0), 0, 0), giveUpMs = 30_000): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let sent = 0;
    let closed = false;
    const socket = connect(Number(port), hostname);
    const finish = (): void => {
      clearTimeout(timer);
      const text = received.toString();
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(bodyText) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
      resolve({ status: status === undefined ? undefined : Number(status), body, sent, closed });
      socket.destroy();
    };
    const timer = setTimeout(finish, giveUpMs);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', () => {
      socket.write(head);
      void (async () => {
        for await (const piece of feed) {
          // stop sending as soon as the server has answered
          if (received.length > 0 || closed) return;
          if (!socket.write(piece)) await new Promise((r) => socket.once('drain', r));
          sent += piece.length;
        }
      })();
    });
  });
}

const postHead = (extra: string): string => `POST /api/collect HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/json\r\nUser-Agent: ${BROWSER_UA}\r\n${extra}\r\n`;

describe('ingest against slow and abusive clients', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startTestSystem({
      INGEST_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      COLLECT_MAX_BODY_BYTES: String(MAX_BODY),
      TRUST_PROXY: 'true',
      // a token every 100 s: what the burst lets through within the test is exactly the burst
      RATE_LIMIT_PER_SECOND: '0.01',
      RATE_LIMIT_BURST: String(BURST),
    });
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('answers 408 to a client that trickles its body, and closes the connection before the body is complete', async () => {
    // a byte every 100 ms: the 1000-byte body would take 100 s
    const exchange = await rawRequest(system.ingestUrl, postHead('X-Forwarded-For: 198.51.100.1\r\nContent-Length: 1000\r\n'), trickle(Buffer.from(' '), 1000, 100));
    expect(exchange).toMatchObject({ status: 408, body: { error: 'request_timeout' }, closed: true });
    expect(exchange.sent).toBeLessThan(1000);
  });

  it('answers 408 to a client that trickles its headers (slowloris), and closes the connection', async () => {
    const lines = (async function* () {
      for (let i = 0; i < 1000; i++) {
        yield Buffer.from(`X-Slow-${i}: y\r\n`);
        await sleep(100);
      }
    })();
    const exchange = await rawRequest(system.ingestUrl, 'POST /api/collect HTTP/1.1\r\nHost: ingest\r\n', lines);
    expect(exchange).toMatchObject({ status: 408, body: { error: 'request_timeout' }, closed: true });
    expect(exchange.sent).toBeLessThan(1000 * 'X-Slow-999: y\r\n'.length);
  });

  it('answers 413 to a declared 50 MB body after a few kilobytes of it, and closes the connection', async () => {
    const declared = 50 * 1024 * 1024;
    const exchange = await rawRequest(system.ingestUrl, postHead(`X-Forwarded-For: 198.51.100.2\r\nContent-Length: ${declared}\r\n`), trickle(Buffer.alloc(16_384, 0x20), declared / 16_384, 10));
    expect(exchange).toMatchObject({ status: 413, body: { error: 'body_too_large', field: 'body' }, closed: true });
    expect(exchange.sent).toBeLessThan(1024 * 1024);
  });

  it('answers 413 to a chunked body once it passes the limit, and closes the connection', async () => {
    const chunk = Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(0x4000, 0x20), Buffer.from('\r\n')]);
    const exchange = await rawRequest(system.ingestUrl, postHead('X-Forwarded-For: 198.51.100.3\r\nTransfer-Encoding: chunked\r\n'), trickle(chunk, 3200, 10));
    expect(exchange).toMatchObject({ status: 413, body: { error: 'body_too_large', field: 'body' }, closed: true });
    // the limit and what was in flight when the answer came; 3200 chunks would be 50 MB
    expect(exchange.sent).toBeGreaterThan(MAX_BODY);
    expect(exchange.sent).toBeLessThan(1024 * 1024);
  });

  it('answers 431 to a header flood, one huge header or thousands of small ones, and closes the connection', async () => {
    const huge = await rawRequest(system.ingestUrl, postHead(`X-Huge: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n`));
    expect(huge).toMatchObject({ status: 431, body: { error: 'headers_too_large' }, closed: true });
    const many = await rawRequest(system.ingestUrl, postHead(`${Array.from({ length: 4000 }, (_, i) => `X-${i}: y\r\n`).join('')}Content-Length: 2\r\n`));
    expect(many).toMatchObject({ status: 431, body: { error: 'headers_too_large' }, closed: true });
  });

  it('lets exactly the burst of a client IP through a concurrent flood, answers the rest 429 with Retry-After, and leaves other IPs alone', async () => {
    const post = async (ip: string): Promise<{ status: number; retryAfter: string | null; error: unknown }> => {
      const res = await fetch(`${system.ingestUrl}/api/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': BROWSER_UA, 'X-Forwarded-For': ip },
        body: JSON.stringify({ site: 'shop', url: 'https://shop.example/flood' }),
      });
      const body = (await res.json()) as Record<string, unknown>;
      return { status: res.status, retryAfter: res.headers.get('retry-after'), error: body['error'] };
    };
    const flood = await Promise.all(Array.from({ length: 5 * BURST }, () => post('203.0.113.50')));
    const accepted = flood.filter((r) => r.status === 202);
    const limited = flood.filter((r) => r.status === 429);
    expect(accepted).toHaveLength(BURST);
    expect(limited).toHaveLength(4 * BURST);
    for (const r of limited) {
      expect(r.error).toBe('rate_limited');
      // one token per 100 s
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(90);
    }
    expect((await post('203.0.113.51')).status).toBe(202);
    expect((await post('203.0.113.50')).status).toBe(429);
  });
});
