import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * One random salt per UTC day for the cookieless visitor id. Every ingest instance proposes
 * a salt and all of them use the earliest stored one, so they agree without coordination.
 * Salts older than two days are deleted by the table's TTL: yesterday's ids cannot be
 * recomputed, and no salt ever leaves the server.
 */
export class SaltRepository {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly db: string,
  ) {}

  async saltFor(day: string): Promise<string> {
    const existing = await this.earliest(day);
    if (existing) return existing;
    await this.clickhouse.insert({ table: `${this.db}.daily_salts`, values: [{ day, salt: randomBytes(32).toString('hex') }], format: 'JSONEachRow' });
    const chosen = await this.earliest(day);
    if (!chosen) throw new Error(`no salt stored for ${day}`);
    return chosen;
  }

  private async earliest(day: string): Promise<string | undefined> {
    const result = await this.clickhouse.query({
      query: `SELECT salt FROM ${this.db}.daily_salts WHERE day = {day:Date} ORDER BY created_at, salt LIMIT 1`,
      query_params: { day },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ salt: string }>();
    return row?.salt;
  }
}
