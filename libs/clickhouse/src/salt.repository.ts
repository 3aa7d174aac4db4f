import type { ClickHouseClient } from '@clickhouse/client';
import { AgreedValues } from './agreed-values.js';

/**
 * One random salt per UTC day for the cookieless visitor id, agreed on by every ingest
 * instance. No salt ever leaves the server, and none outlives the day after its own: once it is
 * deleted, that day's ids cannot be recomputed from an IP. The table's TTL deletes old salts
 * too, but only when a merge happens to run, which may be hours later.
 */
export class SaltRepository {
  private readonly values: AgreedValues;
  private readonly table: string;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    db: string,
  ) {
    this.table = `${db}.daily_salts`;
    this.values = new AgreedValues(clickhouse, this.table, 'day', 'salt', 'Date');
  }

  /** The salt of `day` (YYYY-MM-DD): the one stored first, drawn at random when there is none yet. */
  saltFor(day: string): Promise<string> {
    return this.values.valueFor(day);
  }

  /** Deletes the salts of the days before `day` (YYYY-MM-DD); a mutation rewrites the table's parts before it returns, where a lightweight delete would only hide the rows until a merge. */
  async deleteBefore(day: string): Promise<void> {
    await this.clickhouse.command({
      query: `ALTER TABLE ${this.table} DELETE WHERE day < {day:Date}`,
      query_params: { day },
      clickhouse_settings: { mutations_sync: '2' },
    });
  }
}
