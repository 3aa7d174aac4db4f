import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseClient, migrate, type ClickHouseClient } from '@clickstream/clickhouse';
import { ownClickHouseEnv } from '../../../../test/support/own-clickhouse.js';
import { loadConfig, type AppConfig } from '@clickstream/config';
import { createLogger } from '@clickstream/logger';
import { VisitorIdService } from './visitor-id.service.js';

const DAY = 86_400_000;
// noon of days far ahead of the clock, so the table's TTL never deletes a salt behind the test's back
const NOON = Date.UTC(2031, 6, 1, 12);
const at = (day: number, hour = 12): number => NOON + day * DAY + (hour - 12) * 3_600_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const IPS = ['203.0.113.9', '10.0.0.1', '2001:db8::8a2e:370:7334'];

describe('the cookieless visitor id, with its salts in the real ClickHouse engine', () => {
  let clickhouse: ClickHouseClient;
  let config: AppConfig;
  const logger = createLogger('silent');
  const service = (): VisitorIdService => new VisitorIdService(clickhouse, config, logger);
  const stored = async (): Promise<{ day: string; salt: string }[]> =>
    (await clickhouse.query({ query: `SELECT toString(day) AS day, salt FROM ${config.clickhouse.database}.daily_salts ORDER BY day, created_at`, format: 'JSONEachRow' })).json<{ day: string; salt: string }>();
  const storedDays = async (): Promise<string[]> => [...new Set((await stored()).map((r) => r.day))];

  beforeAll(async () => {
    config = loadConfig(ownClickHouseEnv(`spec_visitors_${randomBytes(4).toString('hex')}`));
    clickhouse = createClickHouseClient(config.clickhouse);
    await migrate(clickhouse, config.clickhouse.database, logger);
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('is the same all day for one site, IP and browser, and different the next day, or for another site, IP or browser', async () => {
    const ids = service();
    const morning = await ids.visitorId('shop', IPS[0]!, UA, at(0, 0));
    expect(await ids.visitorId('shop', IPS[0]!, UA, at(0, 23))).toBe(morning);
    // a second ingest instance agrees
    expect(await service().visitorId('shop', IPS[0]!, UA, at(0, 15))).toBe(morning);
    const others = [
      await ids.visitorId('shop', IPS[0]!, UA, at(1, 0)),
      await ids.visitorId('blog', IPS[0]!, UA, at(0)),
      await ids.visitorId('shop', IPS[1]!, UA, at(0)),
      await ids.visitorId('shop', IPS[0]!, `${UA} Edg/131`, at(0)),
    ];
    expect(new Set([morning, ...others]).size).toBe(5);
  });

  it('holds no trace of the IP: a hash keyed with the random salt of the day', async () => {
    const day = at(2);
    for (const ip of IPS) {
      const id = await service().visitorId('shop', ip, UA, day);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id).not.toContain(ip);
      const octets = ip.includes(':') ? [] : ip.split('.').map(Number);
      if (octets.length === 4) {
        expect(id).not.toContain(Buffer.from(octets).toString('hex'));
        expect(id).not.toContain(Buffer.from(octets.reverse()).toString('hex'));
      }
      // the salt is the only thing not known to whoever has the IP, site, browser and day
      const salt = (await stored()).find((r) => r.day === dayOf(day))!.salt;
      expect(id).toBe(createHash('sha256').update(`${salt}\u0000shop\u0000${ip}\u0000${UA}`).digest('hex').slice(0, 32));
      for (const guess of ['', dayOf(day), String(Math.floor(day / DAY))]) {
        expect(id).not.toBe(createHash('sha256').update(`${guess}\u0000shop\u0000${ip}\u0000${UA}`).digest('hex').slice(0, 32));
      }
    }
  });

  it('uses a new random salt each day, and deletes every salt older than yesterday once a day starts', async () => {
    const ids = service();
    const salts: string[] = [];
    for (const d of [10, 11, 12]) {
      await ids.visitorId('shop', IPS[0]!, UA, at(d));
      salts.push((await stored()).find((r) => r.day === dayOf(at(d)))!.salt);
    }
    expect(new Set(salts).size).toBe(3);
    // day 12 began: only day 11 (yesterday) and day 12 are left, every day before is gone
    await expectDays([dayOf(at(11)), dayOf(at(12))]);
    await ids.visitorId('shop', IPS[0]!, UA, at(13, 0));
    await expectDays([dayOf(at(12)), dayOf(at(13))]);
  });

  it('cannot give a deleted day its ids again: asking for that day draws a new salt', async () => {
    const before = await service().visitorId('shop', IPS[0]!, UA, at(20));
    await service().visitorId('shop', IPS[0]!, UA, at(22));
    await expectDays([dayOf(at(22))]);
    expect(await service().visitorId('shop', IPS[0]!, UA, at(20))).not.toBe(before);
  });

  /** The deletion runs beside the lookup, so the table is polled until it holds exactly `days`. */
  async function expectDays(days: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    let now = await storedDays();
    while (JSON.stringify(now) !== JSON.stringify(days) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      now = await storedDays();
    }
    expect(now).toEqual(days);
  }
});
