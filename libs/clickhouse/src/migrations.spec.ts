import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { createClickHouseClient, type ClickHouseClient } from './clickhouse-client.js';
import { applyRawRetention, migrate, MIGRATIONS, ROLLUP_TABLES } from './migrations.js';

describe('migrations on the real ClickHouse engine', () => {
  let dir: string;
  let clickhouse: ClickHouseClient;
  const logger = createLogger('silent');
  const engineOf = async (table: string): Promise<string> => {
    const [row] = await (
      await clickhouse.query({ query: `SELECT engine_full FROM system.tables WHERE database = 'm' AND name = {table:String}`, query_params: { table }, format: 'JSONEachRow' })
    ).json<{ engine_full: string }>();
    return row?.engine_full ?? '';
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'clickstream-migrations-'));
    clickhouse = createClickHouseClient({ mode: 'embedded', path: dir, database: 'm' });
  });

  afterAll(async () => {
    await clickhouse?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every version once, and a second run applies nothing', async () => {
    expect(await migrate(clickhouse, 'm', logger)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(clickhouse, 'm', logger)).toEqual([]);
    for (const t of ROLLUP_TABLES) expect(await engineOf(t.table), t.table).toContain('non_replicated_deduplication_window = 10000');
    expect(await engineOf('events_raw')).toMatch(/PARTITION BY toDate\(event_time\) ORDER BY \(site, event_time, event_id\)/);
  });

  it('sets, changes and removes the raw events TTL from the configured days', async () => {
    await applyRawRetention(clickhouse, 'm', 30);
    expect(await engineOf('events_raw')).toContain('TTL toDateTime(event_time) + toIntervalDay(30)');
    await applyRawRetention(clickhouse, 'm', 7);
    expect(await engineOf('events_raw')).toContain('toIntervalDay(7)');
    await applyRawRetention(clickhouse, 'm', 0);
    expect(await engineOf('events_raw')).not.toContain(' TTL ');
  });
});
