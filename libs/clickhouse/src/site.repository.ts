import type { ClickHouseClient } from '@clickhouse/client';

export interface Site {
  id: string;
  name: string;
  createdAt: string;
  /** Version of the site's dashboard token; rotating the token bumps it. */
  tokenVersion: number;
}

/** The sites table: which site ids exist. Ingest refuses events for any other. */
export class SiteRepository {
  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly db: string,
  ) {}

  async list(): Promise<Site[]> {
    const result = await this.clickhouse.query({
      query: `SELECT site_id AS id, name, toString(created_at) AS createdAt, token_version AS tokenVersion FROM ${this.db}.sites FINAL WHERE NOT deleted ORDER BY site_id`,
      format: 'JSONEachRow',
    });
    return (await result.json<Site>()).map((s) => ({ ...s, tokenVersion: Number(s.tokenVersion) }));
  }

  async get(id: string): Promise<Site | undefined> {
    const result = await this.clickhouse.query({
      query: `SELECT site_id AS id, name, toString(created_at) AS createdAt, token_version AS tokenVersion FROM ${this.db}.sites FINAL WHERE site_id = {id:String} AND NOT deleted`,
      query_params: { id },
      format: 'JSONEachRow',
    });
    const [site] = await result.json<Site>();
    return site && { ...site, tokenVersion: Number(site.tokenVersion) };
  }

  async add(id: string, name = id): Promise<void> {
    await this.clickhouse.insert({
      table: `${this.db}.sites`,
      values: [{ site_id: id, name, version: Date.now(), deleted: false, token_version: 0 }],
      format: 'JSONEachRow',
    });
  }

  /** Bumps the token version, so the old dashboard token stops working; returns the new version. */
  async rotateToken(site: Site): Promise<number> {
    const tokenVersion = site.tokenVersion + 1;
    await this.clickhouse.insert({
      table: `${this.db}.sites`,
      values: [{ site_id: site.id, name: site.name, created_at: site.createdAt, version: Date.now(), deleted: false, token_version: tokenVersion }],
      format: 'JSONEachRow',
    });
    return tokenVersion;
  }

  /** Registers the ids that are missing; existing sites are left as they are. */
  async ensure(ids: readonly string[]): Promise<string[]> {
    const existing = new Set((await this.list()).map((s) => s.id));
    const missing = ids.filter((id) => !existing.has(id));
    for (const id of missing) await this.add(id);
    return missing;
  }
}
