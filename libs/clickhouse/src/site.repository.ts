import type { ClickHouseClient } from '@clickhouse/client';

export interface Site {
  id: string;
  name: string;
  createdAt: string;
}

/** The sites table: which site ids exist. Ingest refuses events for any other. */
export class SiteRepository {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly db: string,
  ) {}

  async list(): Promise<Site[]> {
    const result = await this.clickhouse.query({
      query: `SELECT site_id AS id, name, toString(created_at) AS createdAt FROM ${this.db}.sites FINAL WHERE NOT deleted ORDER BY site_id`,
      format: 'JSONEachRow',
    });
    return result.json<Site>();
  }

  async add(id: string, name = id): Promise<void> {
    await this.clickhouse.insert({
      table: `${this.db}.sites`,
      values: [{ site_id: id, name, version: Date.now(), deleted: false }],
      format: 'JSONEachRow',
    });
  }

  /** Registers the ids that are missing; existing sites are left as they are. */
  async ensure(ids: readonly string[]): Promise<string[]> {
    const existing = new Set((await this.list()).map((s) => s.id));
    const missing = ids.filter((id) => !existing.has(id));
    for (const id of missing) await this.add(id);
    return missing;
  }
}
