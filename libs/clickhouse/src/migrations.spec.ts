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

  it('fills the hourly and daily tables from the finer ones on an install with data, and a repeated run counts nothing twice', async () => {
    const db = 'upgraded';
    await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version < 6));
    await clickhouse.command({
      query: `INSERT INTO ${db}.events_raw (event_id, site, type, name, path, referrer_domain, is_bot, visitor_id, event_time, received_at, session_id, session_start, kafka_topic, kafka_partition, kafka_offset)
              SELECT generateUUIDv4(number), 's', if(number % 7 = 0, 'event', 'pageview'), if(number % 7 = 0, 'signup', ''), concat('/p', toString(number % 13)),
                     if(number % 3 = 0, 'search.example', NULL), number % 19 = 0, toString(number % 500),
                     toDateTime64('2026-03-01 00:00:00', 3, 'UTC') + toIntervalSecond(number * 37), now64(3), concat('s', toString(intDiv(number, 5))), number % 5 = 0,
                     'events', 0, number
              FROM numbers(20000)`,
    });
    // v6 ran but was not recorded (a crash before the record): the next start runs it again
    for (const statement of MIGRATIONS.find((m) => m.version === 6)!.statements(db)) await clickhouse.command({ query: statement });
    expect(await migrate(clickhouse, db, logger)).toEqual([6]);
    const same = async (coarse: string, fine: string): Promise<void> => {
      const [a, b] = await Promise.all([coarse, fine].map(async (q) => (await clickhouse.query({ query: q, format: 'JSONEachRow' })).json()));
      expect(a, coarse).toEqual(b);
      expect(a!.length, coarse).toBeGreaterThan(10);
    };
    await same(
      `SELECT toString(hour) AS h, sum(pageviews) AS n FROM ${db}.pageviews_1h GROUP BY h ORDER BY h`,
      `SELECT toString(toStartOfHour(window_start)) AS h, sum(pageviews) AS n FROM ${db}.pageviews_1s GROUP BY h ORDER BY h`,
    );
    await same(
      `SELECT toString(hour) AS h, sum(pageviews), sum(custom_events), sum(bot_events), sum(sessions), uniqCombinedMerge(visitors) FROM ${db}.rollup_1h GROUP BY h ORDER BY h`,
      `SELECT toString(toStartOfHour(minute)) AS h, sum(pageviews), sum(custom_events), sum(bot_events), sum(sessions), uniqCombinedMerge(visitors) FROM ${db}.rollup_1m GROUP BY h ORDER BY h`,
    );
    await same(
      `SELECT dimension, toString(day) AS d, value, sum(events), uniqCombinedMerge(visitors) FROM ${db}.breakdown_1d GROUP BY dimension, d, value ORDER BY dimension, d, value`,
      `SELECT dimension, toString(toStartOfDay(minute)) AS d, value, sum(events), uniqCombinedMerge(visitors) FROM ${db}.breakdown_1m GROUP BY dimension, d, value ORDER BY dimension, d, value`,
    );
    await same(
      `SELECT session_id, toString(min(started)) FROM ${db}.session_starts GROUP BY session_id ORDER BY session_id`,
      `SELECT session_id, toString(min(started)) FROM ${db}.sessions GROUP BY session_id ORDER BY session_id`,
    );
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
