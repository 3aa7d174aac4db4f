import { describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickstream/clickhouse';
import { loadConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { ApiError } from '@clickstream/platform';
import { SiteCache } from './site-cache.js';

/** A ClickHouse client that answers the site list with the given ids, or fails like a server that is gone. */
function fakeClickHouse(): { client: ClickHouseClient; sites: string[]; down: boolean; reads: number } {
  const state = {
    sites: [] as string[],
    down: false,
    reads: 0,
    client: {
      query: async () => {
        state.reads += 1;
        if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
        return { json: async () => state.sites.map((id) => ({ id, name: id, createdAt: '2031-01-01 00:00:00', tokenVersion: 0 })) };
      },
    } as unknown as ClickHouseClient,
  };
  return state;
}

describe('the site list ingest keeps', () => {
  const config = loadConfig({ SITE_CACHE_TTL_MS: '10000' });
  const logger = createLogger('silent');
  const T = Date.parse('2031-01-01T00:00:00Z');

  it('keeps a known site known while ClickHouse cannot be read, answers 503 for one it never saw, and reads again once it can', async () => {
    const clickhouse = fakeClickHouse();
    clickhouse.sites = ['alpha'];
    const cache = new SiteCache(clickhouse.client, config, logger);
    expect(await cache.has('alpha', T + 1_000)).toBe(true);

    clickhouse.down = true;
    // past the TTL: the read fails, the last list stands
    expect(await cache.has('alpha', T + 20_000)).toBe(true);
    const unknown = await cache.has('beta', T + 21_000).catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).status).toBe(503);
    expect((unknown as ApiError).headers['Retry-After']).toBe('2');
    expect(clickhouse.reads).toBe(3);

    clickhouse.down = false;
    clickhouse.sites = ['alpha', 'beta'];
    expect(await cache.has('beta', T + 22_000)).toBe(true);
  });

  it('answers unknown, not 503, for a site missing from a list it could read', async () => {
    const clickhouse = fakeClickHouse();
    clickhouse.sites = ['alpha'];
    const cache = new SiteCache(clickhouse.client, config, logger);
    expect(await cache.has('nope', T + 1_000)).toBe(false);
  });
});
