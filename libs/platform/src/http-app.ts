import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { PortTakenError } from '@clickstream/infra';
import { NestPinoLogger, type Logger } from '@clickstream/logger';

export interface HttpAppOptions {
  /** Largest request body in bytes; larger ones get 413 before being read whole. */
  bodyLimit?: number;
  /** Take the client address from X-Forwarded-For: true, or the number of proxy hops to trust. */
  trustProxy?: boolean | number;
  /** Maps a public URL onto the route that serves it (configurable, ad-blocker-proof paths). */
  rewriteUrl?: (url: string) => string;
  /** Time a client has to send a whole request, headers and body; a slower one gets 408 and is disconnected. */
  requestTimeoutMs?: number;
}

/** A Nest app on Fastify, logging through pino, with body parsing left to the app. */
export async function createHttpApp(module: unknown, logger: Logger, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const rewrite = options.rewriteUrl;
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : (options.trustProxy ?? false),
    logger: false,
    // a client that trickles its request is cut off instead of holding a socket forever. Given
    // to the server's constructor, so headersTimeout follows it (Node cuts nothing off while
    // headersTimeout, 60 s by default, exceeds it), and checked every quarter of it, not every 30 s.
    requestTimeout,
    http: { requestTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))) },
    connectionTimeout: 30_000,
    clientErrorHandler: answerClientError,
    ...(rewrite ? { rewriteUrl: (req: { url?: string }) => rewrite(req.url ?? '/') } : {}),
  });
  return NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
}

/**
 * Connections the kernel may hold for accept() (Linux caps it at net.core.somaxconn, 4096 on
 * current kernels). Node's default of 511 overflowed at 3,400 events/s from 4,096 client
 * connections: the kernel dropped the SYNs beyond it and clients retried after 1, 3, 7, 15 s,
 * which showed as acknowledgements of 10-30 s while the event loop was half idle.
 */
const LISTEN_BACKLOG = 4096;

/** Listens on host:port; a taken port fails at once with the variable to change. */
export async function listen(app: NestFastifyApplication, port: number, host: string, variable: string): Promise<number> {
  try {
    await app.listen({ port, host, backlog: LISTEN_BACKLOG });
  } catch (err) {
    await app.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortTakenError(port, variable, host);
    throw err;
  }
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : port;
}

/**
 * Answers what Node refuses before a request reaches Fastify (a request not received in time,
 * headers over the size limit, malformed HTTP) as JSON `{ error, detail }` like every other
 * error, then closes the connection.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, error, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the whole request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request headers are too large']
        : [400, 'bad_request', 'malformed HTTP request'];
  // nothing may follow a response already begun on this connection
  if (socket.writable && socket.bytesWritten === 0) {
    const body = JSON.stringify({ error, detail });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** Trusts the nearest `hops` proxies in X-Forwarded-For. */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}
