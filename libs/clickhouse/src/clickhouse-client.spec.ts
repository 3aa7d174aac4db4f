import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickhouseWithFreshDatabases } from '../../../test/support/own-clickhouse.js';
import { insertEncoded, type ClickHouseClient, type EncodedInsert } from './clickhouse-client.js';

describe('inserting encoded rows on a real ClickHouse server', () => {
  let clickhouse: ClickHouseClient;
  type Row = { id: number; name: string; at: string; tags: Record<string, string> };
  const rows = async (table: string): Promise<Row[]> => {
    const result = await clickhouse.query({ query: `SELECT id, name, toString(at) AS at, tags FROM spec_client.${table} ORDER BY id`, format: 'JSONEachRow' });
    return result.json<Row>();
  };
  const counted = async (table: string): Promise<{ name: string; n: number }[]> => {
    const result = await clickhouse.query({ query: `SELECT name, sum(n) AS n FROM spec_client.${table} GROUP BY name ORDER BY name`, format: 'JSONEachRow' });
    return result.json<{ name: string; n: number }>();
  };
  const insert = (table: string, token: string, lines: unknown[][]): EncodedInsert => ({
    table: `spec_client.${table}`,
    columns: ['id', 'name', 'at', 'tags'],
    format: 'JSONCompactEachRow',
    body: Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')),
    settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
  });
  const lines = [
    [1, 'a\tb\n"quoted"', '2031-05-01 10:00:00.250', { k: 'v' }],
    [2, 'plain', '2031-05-01 10:00:01.000', {}],
    [3, 'plain', '2031-05-01 10:00:02.999', { x: 'y', z: '' }],
  ];

  beforeAll(async () => {
    clickhouse = await clickhouseWithFreshDatabases('spec_client');
    await clickhouse.command({ query: 'CREATE DATABASE spec_client' });
    await clickhouse.command({
      query: `CREATE TABLE spec_client.direct (id UInt32, name String, at DateTime64(3, 'UTC'), tags Map(String, String))
              ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
    });
    await clickhouse.command({ query: `CREATE TABLE spec_client.direct_counts (name String, n UInt64) ENGINE = SummingMergeTree ORDER BY name SETTINGS non_replicated_deduplication_window = 100` });
    await clickhouse.command({ query: `CREATE MATERIALIZED VIEW spec_client.direct_mv TO spec_client.direct_counts AS SELECT name, count() AS n FROM spec_client.direct GROUP BY name` });
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('stores the rows as they were encoded, text escapes, times and maps alike', async () => {
    await insertEncoded(clickhouse, insert('direct', 'one', lines));
    const expected = [
      { id: 1, name: 'a\tb\n"quoted"', at: '2031-05-01 10:00:00.250', tags: { k: 'v' } },
      { id: 2, name: 'plain', at: '2031-05-01 10:00:01.000', tags: {} },
      { id: 3, name: 'plain', at: '2031-05-01 10:00:02.999', tags: { x: 'y', z: '' } },
    ];
    expect(await rows('direct')).toEqual(expected);
  });

  it('skips an insert repeated with the same token, in the table and its view', async () => {
    await insertEncoded(clickhouse, insert('direct', 'two', [[4, 'again', '2031-05-01 11:00:00.000', {}]]));
    await insertEncoded(clickhouse, insert('direct', 'two', [[4, 'again', '2031-05-01 11:00:00.000', {}]]));
    await insertEncoded(clickhouse, insert('direct', 'three', [[5, 'again', '2031-05-01 11:00:01.000', {}]]));
    expect((await rows('direct')).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(await counted('direct_counts')).toEqual([
      { name: 'a\tb\n"quoted"', n: 1 },
      { name: 'again', n: 2 },
      { name: 'plain', n: 2 },
    ]);
  });

  it('keeps a statement\'s settings to that statement: a token given to one insert does not make a later insert a repeat', async () => {
    await clickhouse.command({ query: `CREATE TABLE spec_client.sticky (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100` });
    const ids = async (): Promise<number[]> => (await (await clickhouse.query({ query: 'SELECT id FROM spec_client.sticky ORDER BY id', format: 'JSONEachRow' })).json<{ id: number }>()).map((r) => r.id);
    await clickhouse.insert({ table: 'spec_client.sticky', values: [{ id: 1 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'once' } });
    // a setting belongs to its statement: kept, the token would make this insert a repeat of the first
    await clickhouse.command({ query: 'INSERT INTO spec_client.sticky SELECT 2' });
    await clickhouse.insert({ table: 'spec_client.sticky', values: [{ id: 3 }], format: 'JSONEachRow' });
    // a repeat under the same token is still skipped, and a statement with bound parameters runs after them
    await clickhouse.insert({ table: 'spec_client.sticky', values: [{ id: 4 }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'once' } });
    const [row] = await (
      await clickhouse.query({ query: 'SELECT count() AS n FROM spec_client.sticky WHERE id >= {from:UInt32}', query_params: { from: 1 }, format: 'JSONEachRow' })
    ).json<{ n: number }>();
    expect({ ids: await ids(), n: Number(row?.n) }).toEqual({ ids: [1, 2, 3], n: 3 });
  });

  it('rejects a malformed body with the engine parse error, storing nothing', async () => {
    const bad = insert('direct', 'four', [[6, 'x', 'not a time', {}]]);
    await expect(insertEncoded(clickhouse, bad)).rejects.toThrow(/DateTime/);
    expect((await rows('direct')).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });
});
