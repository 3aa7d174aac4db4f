import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@clickstream/logger';
import { clickhouseWithFreshDatabases } from '../../../test/support/own-clickhouse.js';
import type { ClickHouseClient } from './clickhouse-client.js';
import { columnTypes } from './column-types.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations.js';
import { applyRawRetention } from './raw-retention.js';
import { DELTA_CODED_TIMES } from './migrations/0015-time-column-codecs.js';
import { CURRENT_ROLLUP_TABLES } from './rollup-tables.js';
import { VISITOR_SKETCH } from './visitor-sketch.js';

describe('migrations on a real ClickHouse server', () => {
  let clickhouse: ClickHouseClient;
  const logger = createLogger('silent');
  const engineOf = async (table: string): Promise<string> => {
    const [row] = await (
      await clickhouse.query({ query: `SELECT engine_full FROM system.tables WHERE database = 'spec_migrations' AND name = {table:String}`, query_params: { table }, format: 'JSONEachRow' })
    ).json<{ engine_full: string }>();
    return row?.engine_full ?? '';
  };

  beforeAll(async () => {
    clickhouse = await clickhouseWithFreshDatabases('spec_migrations', 'spec_upgraded', 'spec_keys', 'spec_codecs');
  });

  afterAll(async () => {
    await clickhouse?.close();
  });

  it('applies every version once, and a second run applies nothing', async () => {
    expect(await migrate(clickhouse, 'spec_migrations', logger)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(clickhouse, 'spec_migrations', logger)).toEqual([]);
    for (const t of CURRENT_ROLLUP_TABLES) expect(await engineOf(t.table), t.table).toContain('non_replicated_deduplication_window = 10000');
    expect(await engineOf('events_raw')).toMatch(/PARTITION BY toDate\(event_time\) ORDER BY \(site, event_time, event_id\)/);
  });

  it('fills the hourly and daily tables from the finer ones on an install with data, and a repeated run counts nothing twice', async () => {
    const db = 'spec_upgraded';
    await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version < 6));
    await clickhouse.command({
      query: `INSERT INTO ${db}.events_raw (event_id, site, type, name, path, referrer_domain, is_bot, visitor_id, event_time, received_at, session_id, session_start, kafka_topic, kafka_partition, kafka_offset)
              SELECT generateUUIDv4(number), 's', if(number % 7 = 0, 'event', 'pageview'), if(number % 7 = 0, 'signup', ''), concat('/p', toString(number % 13)),
                     if(number % 3 = 0, 'search.example', NULL), number % 19 = 0, toString(number % 500),
                     toDateTime64('2026-03-01 00:00:00', 3, 'UTC') + toIntervalSecond(number * 37), now64(3), concat('s', toString(intDiv(number, 5))), number % 5 = 0,
                     'events', 0, number
              FROM numbers(20000)`,
    });
    // v6 ran but was not recorded (a crash before the record): the next start runs it again
    for (const statement of MIGRATIONS.find((m) => m.version === 6)!.statements(db)) await clickhouse.command({ query: statement });
    expect(await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version <= 6))).toEqual([6]);
    const same = async (coarse: string, fine: string): Promise<void> => {
      const [a, b] = await Promise.all([coarse, fine].map(async (q) => (await clickhouse.query({ query: q, format: 'JSONEachRow' })).json()));
      expect(a, coarse).toEqual(b);
      expect(a!.length, coarse).toBeGreaterThan(10);
    };
    await same(
      `SELECT toString(hour) AS h, sum(pageviews) AS n FROM ${db}.pageviews_1h GROUP BY h ORDER BY h`,
      `SELECT toString(toStartOfHour(window_start)) AS h, sum(pageviews) AS n FROM ${db}.pageviews_1s GROUP BY h ORDER BY h`,
    );
    await same(
      `SELECT toString(hour) AS h, sum(pageviews), sum(custom_events), sum(bot_events), sum(sessions), uniqCombinedMerge(visitors) FROM ${db}.rollup_1h GROUP BY h ORDER BY h`,
      `SELECT toString(toStartOfHour(minute)) AS h, sum(pageviews), sum(custom_events), sum(bot_events), sum(sessions), uniqCombinedMerge(visitors) FROM ${db}.rollup_1m GROUP BY h ORDER BY h`,
    );
    await same(
      `SELECT dimension, toString(day) AS d, value, sum(events), uniqCombinedMerge(visitors) FROM ${db}.breakdown_1d GROUP BY dimension, d, value ORDER BY dimension, d, value`,
      `SELECT dimension, toString(toStartOfDay(minute)) AS d, value, sum(events), uniqCombinedMerge(visitors) FROM ${db}.breakdown_1m GROUP BY dimension, d, value ORDER BY dimension, d, value`,
    );
    await same(
      `SELECT session_id, toString(min(started)) FROM ${db}.session_starts GROUP BY session_id ORDER BY session_id`,
      `SELECT session_id, toString(min(started)) FROM ${db}.sessions GROUP BY session_id ORDER BY session_id`,
    );
  });

  it('fills the session figures from the per-session table it replaces, then drops that table; a repeated run counts nothing twice', async () => {
    const db = 'spec_upgraded'; // where the test above left it: events stored at version 6
    const perSession = `SELECT d.1 AS dimension, toString(toStartOfMinute(started)) AS minute, d.2 AS value,
                               count() AS sessions, sum(d.3) AS bounces, sum(d.4) AS duration_ms, uniqCombined(visitor_id) AS visitors
                        FROM (SELECT visitor_id, min(started) AS started, max(ended) AS ended, sum(pageviews) AS pv,
                                     argMinMerge(entry_page) AS entry, argMaxMerge(exit_page) AS exit
                              FROM ${db}.sessions GROUP BY session_id, visitor_id)
                        ARRAY JOIN [('', '', toInt64(pv <= 1), toInt64(dateDiff('millisecond', started, ended))), ('entryPage', entry, 0, 0), ('exitPage', exit, 0, 0)] AS d
                        WHERE d.1 = '' OR d.2 != ''
                        GROUP BY dimension, minute, value ORDER BY dimension, minute, value`;
    const read = async (query: string): Promise<string[]> =>
      (await (await clickhouse.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>()).map((r) => Object.values(r).map(String).join(' '));
    const before = await read(perSession);
    expect(before.length).toBeGreaterThan(100);
    // 7 ran but was not recorded: the next start runs it again
    for (const statement of MIGRATIONS.find((m) => m.version === 7)!.statements(db)) await clickhouse.command({ query: statement });
    expect(await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version <= 8))).toEqual([7, 8]);
    // visitors are kept for entry pages alone
    const after = await read(`SELECT dimension, toString(minute) AS minute, value, sum(sessions) AS sessions, sum(bounces) AS bounces, sum(duration_ms) AS duration_ms,
                                     if(dimension = 'entryPage', uniqCombinedMerge(visitors), NULL) AS visitors
                              FROM ${db}.sessions_1m GROUP BY dimension, minute, value ORDER BY dimension, minute, value`);
    expect(after).toEqual(before.map((r) => (r.startsWith('entryPage ') ? r : r.replace(/ \d+$/, ' null'))));
    const [tables] = await (
      await clickhouse.query({ query: `SELECT groupArray(name) AS names FROM system.tables WHERE database = {db:String} AND name LIKE 'session%'`, query_params: { db }, format: 'JSONEachRow' })
    ).json<{ names: string[] }>();
    expect(tables!.names.sort()).toEqual(['sessions_1d', 'sessions_1d_mv', 'sessions_1m', 'sessions_1m_mv']);
  });

  it('rebuilds every visitor sketch at 2^14 registers, from the raw events where they are kept, and a repeated run changes nothing', async () => {
    const db = 'spec_upgraded'; // where the test above left it: version 8, sessions stored before version 7
    const tables = CURRENT_ROLLUP_TABLES.map((t) => t.table).filter((t) => /^(rollup|breakdown|sessions)_/.test(t));
    const columnsOf = (table: string): Promise<Map<string, string>> => columnTypes(clickhouse, db, table);
    /** Every bucket of a table: its keys, its sums and the visitors its sketch counts. */
    const buckets = async (table: string, merge: string): Promise<string[]> => {
      const columns = [...(await columnsOf(table))];
      const keys = columns.filter(([n, type]) => n !== 'visitors' && !type.startsWith('SimpleAggregateFunction')).map(([n]) => `toString(${n})`);
      const sums = columns.filter(([, type]) => type.startsWith('SimpleAggregateFunction')).map(([n]) => `sum(${n})`);
      const rows = await (
        await clickhouse.query({ query: `SELECT ${[...keys, ...sums, `${merge}(visitors)`].join(', ')} FROM ${db}.${table} GROUP BY ALL ORDER BY ALL`, format: 'JSONEachRow' })
      ).json<Record<string, unknown>>();
      return rows.map((r) => Object.values(r).map(String).join(' '));
    };
    const before = new Map<string, string[]>();
    for (const table of tables) {
      expect((await columnsOf(table)).get('visitors'), table).toBe('AggregateFunction(uniqCombined, String)');
      before.set(table, await buckets(table, 'uniqCombinedMerge'));
    }
    // a retention TTL removed a day of raw events: its buckets keep their counts through placeholders
    await clickhouse.command({ query: `ALTER TABLE ${db}.events_raw DELETE WHERE toDate(event_time) = '2026-03-02'`, clickhouse_settings: { mutations_sync: '2' } });
    // 9 ran but was not recorded: the next start runs it again
    await MIGRATIONS.find((m) => m.version === 9)!.run!(clickhouse, db, logger);
    expect(await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version <= 9))).toEqual([9]);
    for (const table of tables) {
      expect((await columnsOf(table)).get('visitors'), table).toBe(VISITOR_SKETCH.type);
      const after = await buckets(table, VISITOR_SKETCH.merge);
      expect(after.length, table).toBeGreaterThan(20);
      expect(after, table).toEqual(before.get(table));
    }
    // rebuilt from the raw events, not from the counts: a range over buckets the raw events cover counts each visitor once
    const reference = async (query: string): Promise<number> => Number((await (await clickhouse.query({ query, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
    const covered = `site = 's' AND minute >= '2026-03-03 00:00:00'`;
    expect(await reference(`SELECT ${VISITOR_SKETCH.merge}(visitors) AS n FROM ${db}.rollup_1m WHERE ${covered}`)).toBe(
      await reference(`SELECT uniqExactIf(visitor_id, NOT is_bot) AS n FROM ${db}.events_raw WHERE site = 's' AND event_time >= '2026-03-03 00:00:00'`),
    );
    // the views fill the new sketches
    await clickhouse.command({
      query: `INSERT INTO ${db}.events_raw (event_id, site, type, path, visitor_id, event_time, received_at, kafka_topic, kafka_partition, kafka_offset)
              SELECT generateUUIDv4(number), 'after', 'pageview', '/', toString(number % 7), toDateTime64('2026-04-01 00:00:00', 3, 'UTC'), now64(3), 'events', 0, 100000 + number
              FROM numbers(30)`,
    });
    expect(await reference(`SELECT ${VISITOR_SKETCH.merge}(visitors) AS n FROM ${db}.breakdown_1d WHERE site = 'after' AND dimension = 'page'`)).toBe(7);
  });

  it("gives each raw event stored before version 11 its session's entry page and source, from the session's first page view on", async () => {
    const db = 'spec_upgraded'; // at version 9 since the test above
    // one session: a custom event before its first page view, the landing page view from news.example with UTM, two more events
    const rows: [string, string, string, string | null, string | null, number][] = [
      // [event type, path, session, referrer domain, UTM source, page views so far]
      ['event', '/x', 'm11', null, null, 0],
      ['pageview', '/landing', 'm11', 'news.example', 'nl', 1],
      ['pageview', '/next', 'm11', null, null, 2],
      ['event', '/next', 'm11', null, null, 2],
      ['pageview', '/solo', 'm11b', null, null, 1],
    ];
    await clickhouse.command({
      query: `INSERT INTO ${db}.events_raw (event_id, site, type, path, referrer_domain, utm_source, visitor_id, event_time, received_at, session_id, session_pageviews, kafka_topic, kafka_partition, kafka_offset)
              VALUES ${rows.map(([type, path, session, ref, utm, pv], i) => `(generateUUIDv4(${i}), 'm11', '${type}', '${path}', ${ref ? `'${ref}'` : 'NULL'}, ${utm ? `'${utm}'` : 'NULL'}, 'v', toDateTime64('2026-04-02 00:00:0${i}', 3, 'UTC'), now64(3), '${session}', ${pv}, 'events', 0, ${200000 + i})`).join(', ')}`,
    });
    expect(await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version <= 11))).toEqual([10, 11]);
    const entries = async (): Promise<string[]> =>
      (
        await (
          await clickhouse.query({ query: `SELECT concat(path, ' ', entry_page, ' ', entry_referrer, ' ', entry_utm_source) AS e FROM ${db}.events_raw WHERE site = 'm11' ORDER BY event_time`, format: 'JSONEachRow' })
        ).json<{ e: string }>()
      ).map((r) => r.e);
    const expected = ['/x   ', '/landing /landing news.example nl', '/next /landing news.example nl', '/next /landing news.example nl', '/solo /solo  '];
    expect(await entries()).toEqual(expected);
    expect((await columnTypes(clickhouse, db, 'events_raw')).get('path')).toBe('LowCardinality(String)');
    // run again (as after a crash before it was recorded): nothing changes
    await MIGRATIONS.find((m) => m.version === 11)!.run!(clickhouse, db, logger);
    expect(await entries()).toEqual(expected);
  });

  it('counts engagement events (version 12) in no rollup on a database upgraded from 11, and keeps revenue exact', async () => {
    const db = 'spec_upgraded';
    // spec_upgraded stands at 11 after the test before; its rollup views made to count every row, as they did before 12
    for (const t of CURRENT_ROLLUP_TABLES.filter((r) => r.table.startsWith('rollup_'))) {
      const before = t.select(db, VISITOR_SKETCH).replace(/WHERE type != 'engagement'\s*/, '');
      await clickhouse.command({ query: `DROP VIEW IF EXISTS ${db}.${t.table}_mv` });
      await clickhouse.command({ query: `CREATE MATERIALIZED VIEW ${db}.${t.table}_mv TO ${db}.${t.table} AS ${before}` });
    }
    expect(await migrate(clickhouse, db, logger)).toEqual(MIGRATIONS.filter((m) => m.version > 11).map((m) => m.version));
    const insert = (type: string, visitor: string, bot: boolean, offset: number, extra = ''): Promise<unknown> =>
      clickhouse.command({
        query: `INSERT INTO ${db}.events_raw (event_id, site, type, name, path, is_bot, visitor_id, event_time, received_at, session_id, session_start, is_late,
                                             tag, revenue_amount, revenue_currency, scroll_depth, engaged_ms, kafka_topic, kafka_partition, kafka_offset)
                VALUES (generateUUIDv4(${offset}), 'm12', '${type}', ${type === 'event' ? "'buy'" : "''"}, '/a', ${bot}, '${visitor}', toDateTime64('2026-05-01 10:00:00', 3, 'UTC'),
                        now64(3), 's-${visitor}', ${type === 'pageview'}, true, ${extra || "'', NULL, '', NULL, NULL"}, 'events', 0, ${300000 + offset})`,
      });
    await insert('pageview', 'v1', false, 0);
    await insert('event', 'v1', false, 1, "'t1', '12.345678', 'EUR', NULL, NULL");
    await insert('engagement', 'v1', false, 2, "'', NULL, '', 80, 15000");
    await insert('engagement', 'v2', false, 3, "'', NULL, '', 20, 1000");
    await insert('engagement', 'v3', true, 4, "'', NULL, '', 20, 1000");
    for (const table of ['rollup_1m', 'rollup_1h']) {
      const [row] = await (
        await clickhouse.query({
          query: `SELECT sum(pageviews) AS p, sum(custom_events) AS e, sum(bot_events) AS b, sum(late_events) AS l, ${VISITOR_SKETCH.merge}(visitors) AS v FROM ${db}.${table} WHERE site = 'm12'`,
          format: 'JSONEachRow',
        })
      ).json<Record<string, string | number>>();
      // the page view and the custom event alone: late (both), no bot, one visitor
      expect(Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)])), table).toEqual({ p: 1, e: 1, b: 0, l: 2, v: 1 });
    }
    const [revenue] = await (await clickhouse.query({ query: `SELECT toString(sum(revenue_amount)) AS r FROM ${db}.events_raw WHERE site = 'm12'`, format: 'JSONEachRow' })).json<{ r: string }>();
    expect(revenue?.r).toBe('12.345678');
  });

  it("keys each raw event by its session's id as a UUID and its visitor's 128-bit hash (version 14), the events stored before it and after", async () => {
    const db = 'spec_keys';
    await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version < 14));
    const sessions = ['7f256e2e-3d22-4fc1-a61f-2d3c56919644', '0193a8a2-43bc-8d0f-9c55-c1e1e24e8b7a', ''];
    const visitors = ['5f1c0e1b9a7d4e2c8b3a6d0f4e2c1b9a', 'a visitor id from another producer', '5f1c0e1b9a7d4e2c8b3a6d0f4e2c1b9a'];
    const insert = (from: number): Promise<unknown> =>
      clickhouse.command({
        query: `INSERT INTO ${db}.events_raw (event_id, site, type, path, visitor_id, event_time, received_at, session_id, kafka_topic, kafka_partition, kafka_offset)
                VALUES ${sessions.map((id, i) => `(generateUUIDv4(${from + i}), 'm14', 'pageview', '/', '${visitors[i]}', now64(3), now64(3), '${id}', 'events', 0, ${from + i})`).join(', ')}`,
      });
    await insert(0);
    expect(await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version <= 14))).toEqual([14]);
    await insert(10);
    const rows = await (
      await clickhouse.query({ query: `SELECT session_id, toString(session_key) AS key FROM ${db}.events_raw ORDER BY kafka_offset`, format: 'JSONEachRow' })
    ).json<{ session_id: string; key: string }>();
    const nil = '00000000-0000-0000-0000-000000000000';
    const expected = [...sessions, ...sessions].map((id) => ({ session_id: id, key: id === '' ? nil : id }));
    expect(rows).toEqual(expected);
    // one key per visitor id, on the rows stored before and after
    const [keys] = await (
      await clickhouse.query({ query: `SELECT uniqExact(visitor_key) AS n, countIf(visitor_key = 0) AS unkeyed FROM ${db}.events_raw`, format: 'JSONEachRow' })
    ).json<Record<'n' | 'unkeyed', string | number>>();
    expect({ n: Number(keys?.n), unkeyed: Number(keys?.unkeyed) }).toEqual({ n: new Set(visitors).size, unkeyed: 0 });
    // the rows stored before get the keys written by a mutation in the background; until then they are computed as read
    const unwritten = async (): Promise<number> => {
      const [row] = await (
        await clickhouse.query({
          // a row per column of each active part: the parts that hold fewer than both keys
          query: `SELECT count() AS n FROM (
                    SELECT part_name FROM system.parts_columns
                    WHERE database = {db:String} AND table = 'events_raw' AND active
                    GROUP BY part_name HAVING countIf(column IN ('session_key', 'visitor_key')) < 2)`,
          query_params: { db },
          format: 'JSONEachRow',
        })
      ).json<{ n: string | number }>();
      return Number(row?.n ?? 0);
    };
    await expect.poll(unwritten, { timeout: 30_000, interval: 200 }).toBe(0);
  });

  it('stores the raw instants as differences (version 15), keeping their types and defaults and the rows stored before', async () => {
    const db = 'spec_codecs';
    await migrate(clickhouse, db, logger, MIGRATIONS.filter((m) => m.version < 15));
    const times = ['2026-12-01 10:00:00.001', '2026-12-01 10:00:00.250', '2026-12-01 10:00:07.999'];
    // rows without session_started: its default (the epoch) fills it, before and after
    const insert = (from: number): Promise<unknown> =>
      clickhouse.command({
        query: `INSERT INTO ${db}.events_raw (event_id, site, type, path, event_time, received_at, kafka_topic, kafka_partition, kafka_offset)
                VALUES ${times.map((t, i) => `(generateUUIDv4(${from + i}), 'm15', 'pageview', '/', '${t}', '${t}', 'events', 0, ${from + i})`).join(', ')}`,
      });
    const columns = async () =>
      (
        await clickhouse.query({
          query: `SELECT name, type, default_expression AS d, compression_codec AS codec FROM system.columns
                  WHERE database = {db:String} AND table = 'events_raw' AND name IN {names:Array(String)} ORDER BY name`,
          query_params: { db, names: [...DELTA_CODED_TIMES] },
          format: 'JSONEachRow',
        })
      ).json<{ name: string; type: string; d: string; codec: string }>();
    const before = await columns();
    await insert(0);
    expect(await migrate(clickhouse, db, logger)).toEqual([15]);
    await insert(10);
    const after = await columns();
    expect(after.map(({ name, type, d }) => ({ name, type, d }))).toEqual(before.map(({ name, type, d }) => ({ name, type, d })));
    expect(after.map((c) => c.codec)).toEqual(DELTA_CODED_TIMES.map(() => 'CODEC(Delta(8), LZ4)'));
    // rows written under either codec, merged into one part, read back the same
    await clickhouse.command({ query: `OPTIMIZE TABLE ${db}.events_raw FINAL` });
    const rows = await (
      await clickhouse.query({ query: `SELECT toString(event_time) AS t, toString(received_at) AS r, toUnixTimestamp64Milli(session_started) AS s FROM ${db}.events_raw ORDER BY kafka_offset`, format: 'JSONEachRow' })
    ).json<{ t: string; r: string; s: string | number }>();
    expect(rows.map((r) => ({ ...r, s: Number(r.s) }))).toEqual([...times, ...times].map((t) => ({ t, r: t, s: 0 })));
  });

  it('sets, changes and removes the raw events TTL from the configured days', async () => {
    const altered = async (): Promise<string> =>
      (
        await (
          await clickhouse.query({ query: `SELECT toString(metadata_modification_time) AS t FROM system.tables WHERE database = 'spec_migrations' AND name = 'events_raw'`, format: 'JSONEachRow' })
        ).json<{ t: string }>()
      )[0]!.t;
    await applyRawRetention(clickhouse, 'spec_migrations', 30);
    expect(await engineOf('events_raw')).toContain('TTL toDateTime(event_time) + toIntervalDay(30)');
    // what every start does: the same days again leave the table's metadata as it is (its time has 1 s steps)
    const once = await altered();
    await new Promise((r) => setTimeout(r, 1100));
    await applyRawRetention(clickhouse, 'spec_migrations', 30);
    expect(await altered()).toBe(once);
    await applyRawRetention(clickhouse, 'spec_migrations', 7);
    expect(await engineOf('events_raw')).toContain('toIntervalDay(7)');
    await applyRawRetention(clickhouse, 'spec_migrations', 0);
    expect(await engineOf('events_raw')).not.toContain(' TTL ');
  });
});
