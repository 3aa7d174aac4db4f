import { VISITOR_SKETCH, type ClickHouseClient } from '@clickstream/clickhouse';

async function rows(clickhouse: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  return (await clickhouse.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
}

/** A rollup table's figures per site and bucket, merged. */
const figures = (table: string, bucket: string): string =>
  `SELECT site, toString(${bucket}) AS ${bucket}, sum(pageviews) AS pageviews, sum(custom_events) AS custom_events, sum(bot_events) AS bot_events,
          sum(sessions) AS sessions, sum(late_events) AS late_events, ${VISITOR_SKETCH.merge}(visitors) AS visitors
   FROM ${table} GROUP BY site, ${bucket} ORDER BY site, ${bucket}`;

/** A session table's figures per site, dimension, value and bucket of session start, merged. */
const sessionFigures = (table: string, bucket: string): string =>
  `SELECT site, dimension, value, toString(${bucket}) AS ${bucket}, sum(sessions) AS sessions, sum(bounces) AS bounces,
          sum(duration_ms) AS duration_ms, ${VISITOR_SKETCH.merge}(visitors) AS visitors
   FROM ${table} GROUP BY site, dimension, value, ${bucket} ORDER BY site, dimension, value, ${bucket}`;

/**
 * Everything the aggregator derived, finalized and in a fixed order: what a replay must
 * reproduce exactly (sums, sketch-merged uniques, session figures with entry and exit pages,
 * and the session and lateness facts stored on each raw event).
 */
export async function rollupSnapshot(clickhouse: ClickHouseClient, db: string): Promise<Record<string, Record<string, unknown>[]>> {
  return {
    minutes: await rows(clickhouse, figures(`${db}.rollup_1m`, 'minute')),
    breakdowns: await rows(
      clickhouse,
      `SELECT site, dimension, value, sum(events) AS events, ${VISITOR_SKETCH.merge}(visitors) AS visitors
       FROM ${db}.breakdown_1m GROUP BY site, dimension, value ORDER BY site, dimension, value`,
    ),
    sessions: await rows(clickhouse, sessionFigures(`${db}.sessions_1m`, 'minute')),
    hours: await rows(clickhouse, figures(`${db}.rollup_1h`, 'hour')),
    dailyBreakdowns: await rows(
      clickhouse,
      `SELECT site, dimension, toString(day) AS day, value, sum(events) AS events, ${VISITOR_SKETCH.merge}(visitors) AS visitors
       FROM ${db}.breakdown_1d GROUP BY site, dimension, day, value ORDER BY site, dimension, day, value`,
    ),
    dailySessions: await rows(clickhouse, sessionFigures(`${db}.sessions_1d`, 'day')),
    hourlyPageviews: await rows(clickhouse, `SELECT site, toString(hour) AS hour, sum(pageviews) AS pageviews FROM ${db}.pageviews_1h GROUP BY site, hour ORDER BY site, hour`),
    seconds: await rows(
      clickhouse,
      `SELECT site, toString(window_start) AS w, sum(pageviews) AS pageviews, sum(bot_pageviews) AS bots, sum(custom_events) AS custom
       FROM ${db}.pageviews_1s GROUP BY site, w ORDER BY site, w`,
    ),
    raw: await rows(
      clickhouse,
      `SELECT kafka_partition, kafka_offset, toString(event_id) AS id, session_id, session_start, toString(session_started) AS session_started,
              session_pageviews, previous_exit, duration_added_ms, is_late
       FROM ${db}.events_raw ORDER BY kafka_partition, kafka_offset`,
    ),
  };
}
