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
}

/** A Nest app on Fastify, logging through pino, with body parsing left to the app. */
export async function createHttpApp(module: unknown, logger: Logger, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const rewrite = options.rewriteUrl;
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : (options.trustProxy ?? false),
    logger: false,
    // a client that trickles its request is cut off instead of holding a socket forever
    requestTimeout: 10_000,
    connectionTimeout: 30_000,
    ...(rewrite ? { rewriteUrl: (req: { url?: string }) => rewrite(req.url ?? '/') } : {}),
  });
  return NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
}

/** Listens on host:port; a taken port fails at once with the variable to change. */
export async function listen(app: NestFastifyApplication, port: number, host: string, variable: string): Promise<number> {
  try {
    await app.listen(port, host);
  } catch (err) {
    await app.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortTakenError(port, variable, host);
    throw err;
  }
  const address = app.getHttpServer().address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Trusts the nearest `hops` proxies in X-Forwarded-For. */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}
