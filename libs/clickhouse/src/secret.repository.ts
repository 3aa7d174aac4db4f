import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Random secrets shared by every instance (the key dashboard tokens are derived from).
 * Each instance proposes one and all use the earliest stored, so they agree without
 * coordination; the value never leaves the servers.
 */
export class SecretRepository {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly db: string,
  ) {}

  async secret(name: string): Promise<string> {
    const existing = await this.earliest(name);
    if (existing) return existing;
    await this.clickhouse.insert({ table: `${this.db}.secrets`, values: [{ name, value: randomBytes(32).toString('hex') }], format: 'JSONEachRow' });
    const chosen = await this.earliest(name);
    if (!chosen) throw new Error(`no secret stored for ${name}`);
    return chosen;
  }

  private async earliest(name: string): Promise<string | undefined> {
    const result = await this.clickhouse.query({
      query: `SELECT value FROM ${this.db}.secrets WHERE name = {name:String} ORDER BY created_at, value LIMIT 1`,
      query_params: { name },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ value: string }>();
    return row?.value;
  }
}
