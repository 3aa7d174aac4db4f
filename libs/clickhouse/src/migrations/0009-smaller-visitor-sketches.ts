import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@clickstream/logger';
import { columnTypes } from '../column-types.js';
import type { Migration } from '../migration.js';
import { createView, CURRENT_ROLLUP_TABLES } from '../rollup-tables.js';
import { SKETCH_BEFORE_V9, VISITOR_SKETCH } from '../visitor-sketch.js';

/**
 * Migration 9, table by table: a sketch cannot change its precision, so each visitor column is
 * rebuilt beside the old one from the raw events, by the SELECT of the table's view, then takes
 * its place. The sums stay as they are, and so does each table's memory of recent insert tokens
 * (the crash repair resends an insert under its token, see RollupSink). Buckets the raw events no
 * longer cover (RAW_EVENTS_TTL_DAYS removed them; entry pages of sessions stored before migration
 * 7) get a sketch of as many placeholder visitors as the old one counted: each such bucket keeps
 * its count, and a range over several of them adds theirs up. Every step can run again: a sketch
 * merged with itself is unchanged, and a bucket with a rebuilt sketch gets no placeholders.
 */
async function resketch(client: ClickHouseClient, db: string, logger: Logger): Promise<void> {
  const sync = { mutations_sync: '2' } as const;
  for (const t of CURRENT_ROLLUP_TABLES) {
    const table = `${db}.${t.table}`;
    const columns = await columnTypes(client, db, t.table);
    if (!columns.has('visitors') && !columns.has('visitors_next')) continue;
    await client.command({ query: `DROP VIEW IF EXISTS ${table}_mv` });
    if (columns.get('visitors') !== VISITOR_SKETCH.type) {
      if (columns.has('visitors')) {
        const keys = [...columns]
          .filter(([name, type]) => !name.startsWith('visitors') && !type.startsWith('SimpleAggregateFunction'))
          .map(([name]) => name)
          .join(', ');
        await client.command({ query: `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS visitors_next ${VISITOR_SKETCH.type}`, clickhouse_settings: sync });
        await client.command({
          query: `INSERT INTO ${table} (${keys}, visitors_next) SELECT ${keys}, visitors FROM (${t.select(db, VISITOR_SKETCH)})`,
          clickhouse_settings: { insert_deduplicate: 0 },
        });
        const [uncovered] = await (
          await client.query({
            query: `SELECT count() AS buckets, sum(old) AS visitors FROM (${uncoveredBuckets(table, keys)})`,
            format: 'JSONEachRow',
          })
        ).json<{ buckets: string; visitors: string }>();
        if (Number(uncovered?.buckets ?? 0) > 0) {
          await client.command({
            query: `INSERT INTO ${table} (${keys}, visitors_next)
                    SELECT ${keys}, ${VISITOR_SKETCH.state}(concat('v9:', toString(cityHash64(${keys})), ':', toString(i)))
                    FROM (${uncoveredBuckets(table, keys)}) ARRAY JOIN range(old) AS i
                    GROUP BY ${keys}`,
            clickhouse_settings: { insert_deduplicate: 0 },
          });
          logger.warn(
            { table: t.table, buckets: Number(uncovered!.buckets), visitors: Number(uncovered!.visitors) },
            'visitor sketches of buckets without raw events rebuilt from their counts: a range over several such buckets adds their visitors up',
          );
        }
        await client.command({ query: `ALTER TABLE ${table} DROP COLUMN visitors`, clickhouse_settings: sync });
      }
      await client.command({ query: `ALTER TABLE ${table} RENAME COLUMN visitors_next TO visitors`, clickhouse_settings: sync });
    }
    await client.command({ query: createView(db, t, VISITOR_SKETCH) });
  }
}

/** The buckets of a table whose old sketch counts visitors and whose new one none: what the raw events no longer cover. */
const uncoveredBuckets = (table: string, keys: string): string => `SELECT ${keys}, ${SKETCH_BEFORE_V9.merge}(visitors) AS old
       FROM ${table} GROUP BY ${keys}
       HAVING old > 0 AND ${VISITOR_SKETCH.merge}(visitors_next) = 0`;

/** Migration 9: every table's visitor sketches at VISITOR_SKETCH's 2^14 registers (2^17 before), rebuilt from the raw events by resketch. */
export const SMALLER_VISITOR_SKETCHES_MIGRATION: Migration = {
  version: 9,
  name: 'visitor sketches of 2^14 registers, rebuilt from the raw events',
  statements: () => [],
  run: resketch,
};
