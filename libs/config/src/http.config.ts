import { z } from 'zod';
import { httpUrl, int, port, secret } from './env.js';

export const httpEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface the HTTP servers listen on (0.0.0.0 in containers).'),
  INGEST_PORT: port().default(3001).describe('Port of the ingest app: collect endpoint and tracker script (0 picks a free one).'),
  GATEWAY_PORT: port().default(3000).describe('Port of the gateway app: dashboard, socket.io and history API (0 picks a free one).'),
  AGGREGATOR_PORT: port().default(3002).describe('Port of the aggregator app: /metrics and /health only (0 picks a free one).'),
  ADMIN_TOKEN: secret(z.string().min(16, { error: 'expected at least 16 characters' }).optional()).describe(
    'Token of the sites admin API (create and list sites, rotate dashboard tokens). Unset: derived from a secret stored in ClickHouse and printed by `npm start`.',
  ),
  LIVE_EMIT_INTERVAL_MS: int(50, 10_000).default(200).describe('The gateway sends each site room at most one live update per this interval, however many events arrive.'),
  PUBLIC_INGEST_URL: httpUrl().optional().describe('Address browsers use to reach ingest, put in the snippet. Default: http://HOST:INGEST_PORT.'),
  PUBLIC_GATEWAY_URL: httpUrl().optional().describe('Address browsers use to reach the dashboard. Default: http://HOST:GATEWAY_PORT.'),
});

export interface HttpConfig {
  host: string;
  ingestPort: number;
  gatewayPort: number;
  aggregatorPort: number;
  adminToken: string | undefined;
  liveEmitIntervalMs: number;
  publicIngestUrl: string | undefined;
  publicGatewayUrl: string | undefined;
}

export const toHttpConfig = (env: z.infer<typeof httpEnv>): HttpConfig => ({
  host: env.HOST,
  ingestPort: env.INGEST_PORT,
  gatewayPort: env.GATEWAY_PORT,
  aggregatorPort: env.AGGREGATOR_PORT,
  adminToken: env.ADMIN_TOKEN,
  liveEmitIntervalMs: env.LIVE_EMIT_INTERVAL_MS,
  publicIngestUrl: env.PUBLIC_INGEST_URL,
  publicGatewayUrl: env.PUBLIC_GATEWAY_URL,
});

/** Where browsers reach ingest: PUBLIC_INGEST_URL, or the configured host and port. */
export const publicIngestUrlOf = (http: HttpConfig): string => http.publicIngestUrl ?? `http://${http.host}:${http.ingestPort}`;
