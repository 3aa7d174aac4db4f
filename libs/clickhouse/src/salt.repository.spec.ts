import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { clickhouseWithFreshDatabases } from '../../../test/support/own-clickhouse.js';
import type { ClickHouseClient } from './clickhouse-client.js';
import { migrate } from './migrate.js';
import { SaltRepository } from './salt.repository.js';

describe('the daily salts an earlier version left in ClickHouse, on a real server', () => {
  let clickhouse: ClickHouseClient;
  const db = 'spec_old_salts';
  const insert = (rows: { day: string; salt: string; created_at: string }[]): Promise<unknown> => clickhouse.insert({ table: `${db}.daily_salts`, values: rows, format: 'JSONEachRow' });

  beforeAll(async () => {
    clickhouse = await clickhouseWithFreshDatabases(db);
    await migrate(clickhouse, db, createLogger('silent'));
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('lists the salt each day had, the one stored first as the instances of that version agreed, and deletes them all', async () => {
    await insert([
      { day: '2031-03-01', salt: 'b'.repeat(64), created_at: '2031-03-01 00:00:02' },
      { day: '2031-03-01', salt: 'a'.repeat(64), created_at: '2031-03-01 00:00:01' },
      { day: '2031-03-02', salt: 'c'.repeat(64), created_at: '2031-03-02 00:00:01' },
    ]);
    const salts = new SaltRepository(clickhouse, db);
    expect(await salts.list()).toEqual([
      { day: '2031-03-01', salt: 'a'.repeat(64) },
      { day: '2031-03-02', salt: 'c'.repeat(64) },
    ]);
    await salts.deleteAll();
    expect(await salts.list()).toEqual([]);
    const [row] = await (await clickhouse.query({ query: `SELECT count() AS n FROM ${db}.daily_salts`, format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(row?.n)).toBe(0);
  });
});
