import type { ClickHouseClient } from '@clickhouse/client';

/**
 * The daily visitor-id salts that earlier versions kept in ClickHouse. Salts now live in a Kafka
 * topic, so ingest needs no database to accept a hit; the preparing step moves the salts of the
 * days still in use from here into the topic once (visitor ids stay the same across the upgrade)
 * and deletes them here.
 */
export class SaltRepository {
  private readonly table: string;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    db: string,
  ) {
    this.table = `${db}.daily_salts`;
  }

  /** The salt of each day stored here: the one stored first, as the instances of earlier versions agreed. */
  async list(): Promise<{ day: string; salt: string }[]> {
    const result = await this.clickhouse.query({
      query: `SELECT toString(day) AS day, argMin(salt, (created_at, salt)) AS salt FROM ${this.table} GROUP BY day ORDER BY day`,
      format: 'JSONEachRow',
    });
    return result.json<{ day: string; salt: string }>();
  }

  /** Deletes every salt here; a mutation rewrites the table's parts before it returns, where a lightweight delete would only hide the rows until a merge. */
  async deleteAll(): Promise<void> {
    await this.clickhouse.command({ query: `ALTER TABLE ${this.table} DELETE WHERE 1`, clickhouse_settings: { mutations_sync: '2' } });
  }
}
