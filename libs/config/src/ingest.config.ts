import { z } from 'zod';
import { int } from './env.js';

const urlPath = () => z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, { error: 'expected a URL path starting with "/"' });

const siteList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected comma-separated site ids' })));

const trustProxy = z
  .string()
  .transform((s, ctx) => {
    if (s === 'true') return true;
    if (s === 'false') return false;
    if (/^\d{1,2}$/.test(s)) return Number(s);
    ctx.addIssue({ code: 'custom', message: 'expected true, false or a number of proxy hops' });
    return z.NEVER;
  });

export const ingestEnv = z.object({
  COLLECT_PATH: urlPath().default('/api/collect').describe('Path of the collect endpoint (change it to dodge ad-blocker lists); the pixel is at <path>/pixel.gif.'),
  TRACKER_SCRIPT_PATH: urlPath().default('/script.js').describe('Path the tracker script is served at.'),
  PLAUSIBLE_EVENT_PATH: urlPath().default('/api/event').describe("Path of the endpoint that takes Plausible's tracker's events (its /api/event)."),
  UMAMI_SEND_PATH: urlPath().default('/api/send').describe("Path of the endpoint that takes Umami's tracker's events (its /api/send)."),
  COLLECT_MAX_EVENTS: int(1, 10_000).default(100).describe('Most events in one collect request (more: 413).'),
  COLLECT_MAX_BODY_BYTES: int(1024, 10 * 1024 * 1024).default(65_536).describe('Largest collect request body in bytes (more: 413, not read whole).'),
  INGEST_REQUEST_TIMEOUT_MS: int(1000, 300_000)
    .default(10_000)
    .describe('Time a client has to send a whole request to ingest, headers and body; a slower one gets 408 and is disconnected.'),
  CLOCK_SKEW_MS: int(0, 7 * 24 * 3_600_000)
    .default(300_000)
    .describe('A client timestamp further than this from the server clock is clamped to this distance and the event flagged.'),
  TRUST_PROXY: trustProxy.default(false).describe('Take the client IP from X-Forwarded-For: true, false, or the number of proxy hops to trust.'),
  COUNTRY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { error: 'expected an HTTP header name' })
    .transform((h) => h.toLowerCase())
    .optional()
    .describe('Trusted request header holding the visitor country code, set by your proxy or CDN (e.g. CF-IPCountry).'),
  GEOIP_DB_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      'MaxMind-format (.mmdb) country database to look client IPs up in, or none to look up nothing. Unset: the bundled ip-location-db country database (CC BY 4.0, NRO), updated with the package.',
    ),
  RATE_LIMIT_PER_SECOND: z.coerce
    .number({ error: 'expected a number of requests per second (0 turns the limit off)' })
    .min(0, { error: 'expected a number of requests per second (0 turns the limit off)' })
    .default(50)
    .describe('Collect requests per second allowed per client IP (token bucket refill); 0 turns the limit off.'),
  RATE_LIMIT_BURST: int(1, 1_000_000).default(200).describe('Token bucket size: requests a client IP may send at once.'),
  BOOTSTRAP_SITES: siteList.default(['demo']).describe('Site ids registered at start-up when missing (comma-separated). Events for unknown sites get 400.'),
});

export interface IngestConfig {
  collectPath: string;
  trackerScriptPath: string;
  /** Where Plausible's and Umami's trackers send (a site moving over keeps its snippet). */
  plausibleEventPath: string;
  umamiSendPath: string;
  maxEvents: number;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  clockSkewMs: number;
  trustProxy: boolean | number;
  countryHeader: string | undefined;
  /** Where client IPs are looked up: the bundled country database, an operator's file, or nowhere. */
  geoip: { source: 'bundled' } | { source: 'file'; path: string } | { source: 'none' };
  rateLimit: { perSecond: number; burst: number };
  bootstrapSites: string[];
}

export const toIngestConfig = (env: z.infer<typeof ingestEnv>): IngestConfig => ({
  collectPath: env.COLLECT_PATH,
  trackerScriptPath: env.TRACKER_SCRIPT_PATH,
  plausibleEventPath: env.PLAUSIBLE_EVENT_PATH,
  umamiSendPath: env.UMAMI_SEND_PATH,
  maxEvents: env.COLLECT_MAX_EVENTS,
  maxBodyBytes: env.COLLECT_MAX_BODY_BYTES,
  requestTimeoutMs: env.INGEST_REQUEST_TIMEOUT_MS,
  clockSkewMs: env.CLOCK_SKEW_MS,
  trustProxy: env.TRUST_PROXY,
  countryHeader: env.COUNTRY_HEADER,
  geoip: env.GEOIP_DB_PATH === undefined ? { source: 'bundled' } : env.GEOIP_DB_PATH === 'none' ? { source: 'none' } : { source: 'file', path: env.GEOIP_DB_PATH },
  rateLimit: { perSecond: env.RATE_LIMIT_PER_SECOND, burst: env.RATE_LIMIT_BURST },
  bootstrapSites: env.BOOTSTRAP_SITES,
});
