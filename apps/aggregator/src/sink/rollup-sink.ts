import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import type { TrackedEvent } from '@clickstream/events';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

export interface StoredEvent {
  event: TrackedEvent;
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * Owns the aggregator's writes and reads of the raw events table and the tables its
 * materialized views fill (per-second pageviews and per-partition progress).
 */
@Injectable()
export class RollupSink {
  private readonly db: string;

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.db = config.clickhouse.database;
  }

  /**
   * One insert per consumed batch. The token names the exact offset range, so if the same
   * range is inserted again (a retry after a lost answer) ClickHouse skips it, in the views too.
   */
  async insert(rows: readonly StoredEvent[]): Promise<void> {
    if (rows.length === 0) return;
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    await this.clickhouse.insert({
      table: `${this.db}.events_raw`,
      format: 'JSONEachRow',
      values: rows.map(({ event: e, topic, partition, offset }) => ({
        event_id: e.id,
        client_event_id: e.clientEventId,
        site: e.site,
        type: e.type,
        name: e.name ?? '',
        props: e.props,
        url: e.url,
        hostname: e.hostname,
        path: e.path,
        referrer: e.referrer,
        referrer_domain: e.referrerDomain,
        title: e.title,
        screen: e.screen,
        language: e.language,
        utm_source: e.utm.source,
        utm_medium: e.utm.medium,
        utm_campaign: e.utm.campaign,
        utm_term: e.utm.term,
        utm_content: e.utm.content,
        browser: e.browser,
        os: e.os,
        device: e.device,
        is_bot: e.isBot,
        country: e.country,
        visitor_id: e.visitorId,
        event_time: toDateTime64(e.eventTime),
        client_time: e.clientTime === null ? null : toDateTime64(e.clientTime),
        time_flagged: e.timeFlagged,
        received_at: toDateTime64(e.receivedAt),
        kafka_topic: topic,
        kafka_partition: partition,
        kafka_offset: offset.toString(),
      })),
      clickhouse_settings: {
        insert_deduplication_token: `${first.topic}:${first.partition}:${first.offset}-${last.offset}`,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        async_insert: 0,
      },
    });
  }

  /** Highest offset of `partition` already stored, or -1 when none. */
  async storedOffset(topic: string, partition: number): Promise<bigint> {
    const result = await this.clickhouse.query({
      query: `SELECT max(last_offset) AS last_offset, count() AS n FROM ${this.db}.partition_progress
              WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16}`,
      query_params: { topic, partition },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ last_offset: number | string; n: number | string }>();
    return row && Number(row.n) > 0 ? BigInt(row.last_offset) : -1n;
  }

  /** Ids of the events stored for `partition` within `spanMs` of its newest one (duplicate detection after a restart). */
  async recentEventIds(topic: string, partition: number, spanMs: number, limit: number): Promise<{ id: string; receivedAt: number }[]> {
    const result = await this.clickhouse.query({
      query: `SELECT toString(event_id) AS id, toUnixTimestamp64Milli(received_at) AS at FROM ${this.db}.events_raw
              WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16}
                AND received_at >= (SELECT max(received_at) FROM ${this.db}.events_raw WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16})
                                   - toIntervalMillisecond({spanMs:UInt32})
              ORDER BY received_at LIMIT {limit:UInt32}`,
      query_params: { topic, partition, spanMs, limit },
      format: 'JSONEachRow',
    });
    return (await result.json<{ id: string; at: number | string }>()).map((r) => ({ id: r.id, receivedAt: Number(r.at) }));
  }

  /**
   * Stored per-second counts of one partition within `spanMs` of its newest stored window:
   * the live state a new owner of the partition continues from.
   */
  async recentWindows(partition: number, spanMs: number): Promise<{ site: string; windowStart: number; pageviews: number; offset: bigint }[]> {
    const result = await this.clickhouse.query({
      query: `SELECT site, toUnixTimestamp(window_start) AS ws, sum(pageviews) AS n, max(last_offset) AS o
              FROM ${this.db}.pageviews_1s
              WHERE kafka_partition = {partition:UInt16}
                AND window_start >= (SELECT max(window_start) FROM ${this.db}.pageviews_1s WHERE kafka_partition = {partition:UInt16})
                                    - toIntervalSecond({spanSeconds:UInt32})
              GROUP BY site, window_start`,
      query_params: { partition, spanSeconds: Math.ceil(spanMs / 1000) },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ site: string; ws: number | string; n: number | string; o: number | string }>();
    return rows.map((r) => ({ site: r.site, windowStart: Number(r.ws) * 1000, pageviews: Number(r.n), offset: BigInt(r.o) }));
  }

}
