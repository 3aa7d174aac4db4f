import type { FastifyInstance } from 'fastify';
import type { IngestConfig } from '@clickstream/config';
import { ApiErrorFilter, createHttpApp, listen, type Runtime, type StartedApp } from '@clickstream/platform';
import { IngestModule } from './ingest.module.js';

export interface StartedIngest extends StartedApp {
  port: number;
  url: string;
}

const COLLECT_ROUTE = '/api/collect';
const SCRIPT_ROUTE = '/script.js';
const PLAUSIBLE_ROUTE = '/api/plausible/event';
const UMAMI_ROUTE = '/api/umami/send';

/** Maps the configured public paths onto the canonical routes, keeping the query string. */
export function publicPathRewriter(ingest: IngestConfig): (url: string) => string {
  return (url) => {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q);
    if (path === ingest.trackerScriptPath) return SCRIPT_ROUTE + query;
    if (path === ingest.collectPath) return COLLECT_ROUTE + query;
    if (path === `${ingest.collectPath}/pixel.gif`) return `${COLLECT_ROUTE}/pixel.gif${query}`;
    if (path === ingest.plausibleEventPath) return PLAUSIBLE_ROUTE + query;
    if (path === ingest.umamiSendPath) return UMAMI_ROUTE + query;
    return url;
  };
}

/** Builds and starts the ingest HTTP app on the runtime's Kafka. */
export async function startIngest(runtime: Runtime): Promise<StartedIngest> {
  const { config, logger } = runtime;
  const log = logger.child({ app: 'ingest' });
  const app = await createHttpApp(IngestModule.forRuntime({ ...runtime, logger: log }), log, {
    bodyLimit: config.ingest.maxBodyBytes,
    requestTimeoutMs: config.ingest.requestTimeoutMs,
    trustProxy: config.ingest.trustProxy,
    rewriteUrl: publicPathRewriter(config.ingest),
  });

  // JSON arrives as application/json, and as text/plain from sendBeacon and from the tracker
  // (which avoids a CORS preflight): both reach the service as a string it parses itself.
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string', bodyLimit: config.ingest.maxBodyBytes }, (_req, body, done) => done(null, body));

  app.enableCors({ origin: '*', methods: ['GET', 'POST', 'OPTIONS'], credentials: false, maxAge: 86_400, exposedHeaders: ['Retry-After'] });
  app.useGlobalFilters(new ApiErrorFilter(log));

  const port = await listen(app, config.http.ingestPort, config.http.host, 'INGEST_PORT');
  const url = config.http.publicIngestUrl ?? `http://${config.http.host}:${port}`;
  return {
    port,
    url,
    describe: { ingest: url, collect: `${url}${config.ingest.collectPath}`, script: `${url}${config.ingest.trackerScriptPath}` },
    announce: async () => ({ url, port }),
    close: () => app.close(),
  };
}
