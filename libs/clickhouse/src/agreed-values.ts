import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Random values that every instance agrees on without coordination: each proposes one
 * (an insert) and all use the earliest stored for the key. Used for the daily visitor-id
 * salts and the shared secret of dashboard tokens.
 */
export class AgreedValues {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    /** `db.table`, with columns `keyColumn`, `valueColumn` and `created_at`. */
    private readonly table: string,
    private readonly keyColumn: string,
    private readonly valueColumn: string,
    /** ClickHouse type of the key, for the query parameter. */
    private readonly keyType: string,
  ) {}

  async valueFor(key: string): Promise<string> {
    const existing = await this.earliest(key);
    if (existing) return existing;
    await this.clickhouse.insert({ table: this.table, values: [{ [this.keyColumn]: key, [this.valueColumn]: randomBytes(32).toString('hex') }], format: 'JSONEachRow' });
    const chosen = await this.earliest(key);
    if (!chosen) throw new Error(`no value stored in ${this.table} for ${key}`);
    return chosen;
  }

  private async earliest(key: string): Promise<string | undefined> {
    const result = await this.clickhouse.query({
      query: `SELECT ${this.valueColumn} AS value FROM ${this.table} WHERE ${this.keyColumn} = {key:${this.keyType}} ORDER BY created_at, ${this.valueColumn} LIMIT 1`,
      query_params: { key },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ value: string }>();
    return row?.value;
  }
}
