import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { clickhouseWithFreshDatabases } from '../../../test/support/own-clickhouse.js';
import type { ClickHouseClient } from './clickhouse-client.js';
import { migrate } from './migrations.js';
import { SaltRepository } from './salt.repository.js';

describe('the daily salts on a real ClickHouse server', () => {
  let clickhouse: ClickHouseClient;
  const days = async (db: string): Promise<string[]> =>
    (await (await clickhouse.query({ query: `SELECT DISTINCT toString(day) AS day FROM ${db}.daily_salts ORDER BY day`, format: 'JSONEachRow' })).json<{ day: string }>()).map((r) => r.day);

  beforeAll(async () => {
    clickhouse = await clickhouseWithFreshDatabases('spec_salts_a', 'spec_salts_b');
    for (const db of ['spec_salts_a', 'spec_salts_b']) await migrate(clickhouse, db, createLogger('silent'));
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('gives every instance the same salt for a day, drawn once', async () => {
    const [one, two] = [new SaltRepository(clickhouse, 'spec_salts_a'), new SaltRepository(clickhouse, 'spec_salts_a')];
    const salts = await Promise.all([one.saltFor('2031-03-01'), two.saltFor('2031-03-01'), one.saltFor('2031-03-01')]);
    expect(new Set(salts).size).toBe(1);
    expect(await two.saltFor('2031-03-01')).toBe(salts[0]);
    expect(await one.saltFor('2031-03-02')).not.toBe(salts[0]);
  });

  it('draws 32 random bytes, not anything derived from the day: two installations get unrelated salts for the same day', async () => {
    const a = await new SaltRepository(clickhouse, 'spec_salts_a').saltFor('2031-04-01');
    const b = await new SaltRepository(clickhouse, 'spec_salts_b').saltFor('2031-04-01');
    for (const salt of [a, b]) {
      expect(salt).toMatch(/^[0-9a-f]{64}$/);
      expect(salt).not.toContain('2031');
      expect(salt).not.toContain(Buffer.from('2031-04-01').toString('hex'));
    }
    // anything computed from the day alone would be the same in both
    expect(a).not.toBe(b);
  });

  it('deletes the salts of the days before the one given, and keeps that day and later ones', async () => {
    const salts = new SaltRepository(clickhouse, 'spec_salts_b');
    const before = await salts.saltFor('2031-05-01');
    for (const day of ['2031-05-02', '2031-05-03', '2031-05-04']) await salts.saltFor(day);
    await salts.deleteBefore('2031-05-03');
    expect((await days('spec_salts_b')).filter((d) => d.startsWith('2031-05'))).toEqual(['2031-05-03', '2031-05-04']);
    // a deleted salt is gone for good: asking for its day again draws a new one
    expect(await salts.saltFor('2031-05-01')).not.toBe(before);
  });

  it('keeps the TTL that deletes a salt two days after its day, for a deletion that never ran', async () => {
    const [row] = await (
      await clickhouse.query({ query: `SELECT engine_full FROM system.tables WHERE database = 'spec_salts_a' AND name = 'daily_salts'`, format: 'JSONEachRow' })
    ).json<{ engine_full: string }>();
    expect(row?.engine_full).toContain('TTL day + toIntervalDay(2)');
  });
});
