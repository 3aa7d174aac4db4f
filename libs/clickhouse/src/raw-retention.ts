import type { ClickHouseClient } from '@clickhouse/client';

/** Keeps raw events `days` days (by event time), or forever with 0. Applied at every start, so a changed setting takes effect. */
export async function applyRawRetention(client: ClickHouseClient, database: string, days: number): Promise<void> {
  const [row] = await (
    await client.query({
      query: `SELECT engine_full FROM system.tables WHERE database = {database:String} AND name = 'events_raw'`,
      query_params: { database },
      format: 'JSONEachRow',
    })
  ).json<{ engine_full: string }>();
  const engine = row?.engine_full ?? '';
  const wanted = `TTL toDateTime(event_time) + toIntervalDay(${days})`;
  // every start calls this: an ALTER only when the TTL changes (each one starts a mutation over every part)
  if (days > 0 && !engine.includes(`${wanted} `) && !engine.endsWith(wanted)) await client.command({ query: `ALTER TABLE ${database}.events_raw MODIFY ${wanted}` });
  else if (days === 0 && engine.includes(' TTL ')) await client.command({ query: `ALTER TABLE ${database}.events_raw REMOVE TTL` });
}
