import type { ClickHouseClient } from '@clickhouse/client';
import { AgreedValues } from './agreed-values.js';

/**
 * One random salt per UTC day for the cookieless visitor id, agreed on by every ingest
 * instance. Salts older than two days are deleted by the table's TTL: yesterday's ids cannot
 * be recomputed, and no salt ever leaves the server.
 */
export class SaltRepository {
  private readonly values: AgreedValues;

  constructor(clickhouse: ClickHouseClient, db: string) {
    this.values = new AgreedValues(clickhouse, `${db}.daily_salts`, 'day', 'salt', 'Date');
  }

  saltFor(day: string): Promise<string> {
    return this.values.valueFor(day);
  }
}
