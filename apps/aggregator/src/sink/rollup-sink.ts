import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { insertEncoded, toDateTime64, type ClickHouseClient } from '@clickstream/clickhouse';
import type { TrackedEvent } from '@clickstream/events';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

import type { EventFacts } from '@clickstream/stream';

/**
 * A handled event waiting for its insert: its row, already encoded, and what the insert's token
 * and the metrics need. The decoded event is not kept: up to tens of thousands wait at once, and
 * holding their objects until the insert completes made them outlive the young generation.
 */
export interface StoredEvent {
  topic: string;
  partition: number;
  offset: bigint;
  /** What the processed-events metric counts it as. */
  kind: 'pageview' | 'event' | 'engagement' | 'bot';
  /** The row's values but the insert token, encoded when the event is handled (see `storedEvent`). */
  line: string;
}

/** A stored event as the stream core needs it to rebuild a partition. */
export interface RestoredEvent {
  offset: bigint;
  event: TrackedEvent;
  facts: EventFacts;
}

/** The raw table's columns an insert fills, in the order of each row's values. */
const RAW_COLUMNS = [
  'event_id',
  'client_event_id',
  'site',
  'type',
  'name',
  'props',
  'url',
  'hostname',
  'path',
  'referrer',
  'referrer_domain',
  'title',
  'screen',
  'language',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'browser',
  'os',
  'device',
  'is_bot',
  'country',
  'visitor_id',
  'event_time',
  'client_time',
  'time_flagged',
  'received_at',
  'session_id',
  'session_start',
  'session_started',
  'session_pageviews',
  'previous_exit',
  'duration_added_ms',
  'entry_page',
  'entry_referrer',
  'entry_utm_source',
  'entry_utm_medium',
  'entry_utm_campaign',
  'is_late',
  'tag',
  'revenue_amount',
  'revenue_currency',
  'scroll_depth',
  'engaged_ms',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
  'insert_token',
] as const;

/**
 * A handled event as a row of the raw table, encoded at once (all columns but the insert token):
 * the encoding is spread over the batches as they are handled instead of blocking the event
 * loop, which ingest shares, for a whole insert's worth of rows.
 */
export function storedEvent(event: TrackedEvent, facts: EventFacts, topic: string, partition: number, offset: bigint): StoredEvent {
  const e = event;
  const line = JSON.stringify([
    e.id,
    e.clientEventId,
    e.site,
    e.type,
    e.name ?? '',
    e.props,
    e.url,
    e.hostname,
    e.path,
    e.referrer,
    e.referrerDomain,
    e.title,
    e.screen,
    e.language,
    e.utm.source,
    e.utm.medium,
    e.utm.campaign,
    e.utm.term,
    e.utm.content,
    e.browser,
    e.os,
    e.device,
    e.isBot,
    e.country,
    e.visitorId,
    toDateTime64(e.eventTime),
    e.clientTime === null ? null : toDateTime64(e.clientTime),
    e.timeFlagged,
    toDateTime64(e.receivedAt),
    facts.sessionId,
    facts.sessionStart,
    toDateTime64(facts.sessionStarted),
    facts.sessionPageviews,
    facts.previousExit,
    facts.durationAddedMs,
    facts.entry?.path ?? '',
    facts.entry?.referrer ?? '',
    facts.entry?.utmSource ?? '',
    facts.entry?.utmMedium ?? '',
    facts.entry?.utmCampaign ?? '',
    facts.late,
    e.tag ?? '',
    // exact decimal text: ClickHouse reads it into Decimal(18, 6) without a float in between
    e.revenue?.amount ?? null,
    e.revenue?.currency ?? '',
    e.scrollDepth,
    e.engagedMs,
    topic,
    partition,
    offset.toString(),
  ]);
  return { topic, partition, offset, kind: e.isBot ? 'bot' : e.type, line };
}

/**
 * The settings of every insert into the raw table: ClickHouse skips a block whose token it has
 * seen, in the table and in every view it feeds, and stores it before answering.
 */
/** The start of every raw-event insert's query id (see RollupSink.runningInserts). */
const INSERT_QUERY_ID = 'clickstream-insert';

/**
 * The settings of every raw-event insert. Parallel parsing is off: it cuts a body of more than
 * about 10 MB into several blocks, each deduplicated by the token and its index, and the repair
 * (completeRecentInserts) sends the same rows as JSONEachRow, twice the bytes of the first insert's
 * JSONCompactEachRow, so its blocks did not match and a large insert was stored a second time
 * (the crash test in CI: 9,841 rows; the spec reproduces it with 20,000). One block per insert.
 */
export function insertSettings(token: string) {
  return { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1, async_insert: 0, input_format_parallel_parsing: 0 } as const;
}

/**
 * Names the exact offset ranges of an insert, and the replay epoch: if the same rows are
 * inserted again (a retry after a lost answer) ClickHouse skips them, in the views too,
 * while a replay, which deletes rows and stores the same offsets again, uses a new epoch.
 */
export function deduplicationToken(epoch: number, rows: readonly StoredEvent[]): string {
  const ranges = new Map<string, { first: bigint; last: bigint }>();
  for (const r of rows) {
    const k = `${r.topic}:${r.partition}`;
    const range = ranges.get(k);
    if (!range) ranges.set(k, { first: r.offset, last: r.offset });
    else {
      if (r.offset < range.first) range.first = r.offset;
      if (r.offset > range.last) range.last = r.offset;
    }
  }
  const parts = [...ranges.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, r]) => `${k}:${r.first}-${r.last}`);
  return `e${epoch}|${parts.join(',')}|n${rows.length}`;
}

/**
 * Owns the aggregator's writes and reads of the raw events table and the tables its
 * materialized views fill (rollups, sessions, per-partition progress).
 */
@Injectable()
export class RollupSink {
  private readonly db: string;
  /** Tokens sent again by completeRecentInserts in this process: complete from then on. */
  private readonly completed = new Set<string>();

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.db = config.clickhouse.database;
  }

  /** The current replay epoch (0 before any replay). */
  async epoch(): Promise<number> {
    const [row] = await (await this.clickhouse.query({ query: `SELECT max(epoch) AS e FROM ${this.db}.replay_epochs`, format: 'JSONEachRow' })).json<{ e: number | string }>();
    return Number(row?.e ?? 0);
  }

  /**
   * One insert into the raw table; the materialized views derive every rollup from the same block.
   * Rows go as JSONCompactEachRow (arrays in RAW_COLUMNS order), encoded as each event was handled
   * and handed to the engine's parser as bytes: half the bytes of JSONEachRow and measured 1.6x
   * faster to encode and parse with nine views (20,000 rows: 480 against 800 ms). The client's
   * insert() takes JSON formats only as objects, which it would encode again.
   */
  async insert(rows: readonly StoredEvent[], token: string): Promise<void> {
    if (rows.length === 0) return;
    // each line ends with the partition's offset and `]`: the token, known only now, goes in between
    const tokenTail = `,${JSON.stringify(token)}]`;
    const lines = rows.map((r) => r.line.slice(0, -1) + tokenTail);
    await insertEncoded(this.clickhouse, {
      table: `${this.db}.events_raw`,
      columns: RAW_COLUMNS,
      format: 'JSONCompactEachRow',
      body: Buffer.from(lines.join('\n')),
      settings: insertSettings(token),
      queryId: this.insertQueryId(token),
    });
  }

  /**
   * How many inserts holding rows of `partition` the server is running now, from any process.
   * Each insert is listed in system.processes under an id naming its database and its token,
   * and the token names the offset ranges: so an aggregator killed with its insert on the way,
   * or a previous owner still storing, can be waited for before the partition's stored progress
   * is read (that insert would otherwise land after the read, and the same offsets be stored
   * again under another token).
   */
  async runningInserts(topic: string, partition: number): Promise<number> {
    // a token lists `topic:partition:first-last` ranges after `|` or `,`
    const range = `${topic}:${partition}:`;
    const [row] = await (
      await this.clickhouse.query({
        query: `SELECT count() AS n FROM system.processes WHERE startsWith(query_id, {prefix:String}) AND multiSearchAny(query_id, {ranges:Array(String)})`,
        query_params: { prefix: `${INSERT_QUERY_ID}|${this.db}|`, ranges: [`|${range}`, `,${range}`] },
        format: 'JSONEachRow',
      })
    ).json<{ n: number | string }>();
    return Number(row?.n ?? 0);
  }

  /** The id of one attempt of an insert: database and token, then a random part (a retry may overlap the attempt before it). */
  private insertQueryId(token: string): string {
    return `${INSERT_QUERY_ID}|${this.db}|${token}|${randomUUID()}`;
  }

  /**
   * Sends the latest inserts that stored rows of `partition` again, each under its own token.
   * An insert writes the raw table first and then each materialized view; a process killed in
   * between leaves the raw rows without (some of) their rollups, and the restarted aggregator
   * would skip those rows as already stored. The raw table and every view that did get the block
   * recognise the token and skip it; a view that missed it gets it now. `rowsBack`: how far
   * below the partition's newest stored offset to look (several inserts' worth). Only inserts of
   * the current replay `epoch`: a replay rebuilt the rollups of the rows it kept from the raw
   * table, into tables that no longer remember the older tokens.
   * Returns how many inserts were sent again.
   */
  async completeRecentInserts(topic: string, partition: number, rowsBack: number, epoch: number): Promise<number> {
    const tokens = await (
      await this.clickhouse.query({
        query: `SELECT insert_token AS token, max(kafka_offset) AS newest FROM ${this.db}.events_raw
                WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16} AND startsWith(insert_token, {prefix:String})
                  AND kafka_offset + {rowsBack:UInt32} > (SELECT max(kafka_offset) FROM ${this.db}.events_raw
                                                          WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16})
                GROUP BY insert_token ORDER BY newest`,
        query_params: { topic, partition, rowsBack, prefix: `e${epoch}|` },
        format: 'JSONEachRow',
      })
    ).json<{ token: string }>();
    const pending = tokens.filter(({ token }) => !this.completed.has(token));
    for (const { token } of pending) {
      // every row of that insert, whatever its partition: the token stands for the whole block
      const rows = await (
        await this.clickhouse.query({
          query: `SELECT * EXCEPT (insert_token) FROM ${this.db}.events_raw WHERE insert_token = {token:String} ORDER BY kafka_partition, kafka_offset`,
          query_params: { token },
          format: 'JSONEachRow',
        })
      ).json<Record<string, unknown>>();
      if (rows.length === 0) continue;
      // the token goes with this statement alone (the embedded engine runs other statements at
      // the same time, and a setting given through its session could reach them, or theirs this one)
      await insertEncoded(this.clickhouse, {
        table: `${this.db}.events_raw`,
        columns: [...Object.keys(rows[0]!), 'insert_token'],
        format: 'JSONEachRow',
        body: Buffer.from(rows.map((r) => JSON.stringify({ ...r, insert_token: token })).join('\n')),
        settings: insertSettings(token),
        queryId: this.insertQueryId(token),
      });
      this.completed.add(token);
    }
    return pending.length;
  }

  /**
   * The stored events of a partition whose receive time is within `spanMs` of its newest one,
   * in offset order, with their session and lateness facts: what a new owner replays into the
   * stream core to continue sessions, windows and current visitors where the last owner stopped.
   */
  async recentEvents(topic: string, partition: number, spanMs: number, limit: number): Promise<RestoredEvent[]> {
    const result = await this.clickhouse.query({
      query: `SELECT toString(event_id) AS id, type, name, site, path, referrer_domain, utm_source, utm_medium, utm_campaign,
                     country, browser, os, device, is_bot, visitor_id, toUnixTimestamp64Milli(event_time) AS event_time,
                     toUnixTimestamp64Milli(received_at) AS received_at, session_id, session_start,
                     toUnixTimestamp64Milli(session_started) AS session_started, session_pageviews, previous_exit, duration_added_ms,
                     entry_page, entry_referrer, entry_utm_source, entry_utm_medium, entry_utm_campaign, is_late, kafka_offset
              FROM ${this.db}.events_raw
              WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16}
                AND received_at >= (SELECT max(received_at) FROM ${this.db}.events_raw WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt16})
                                   - toIntervalMillisecond({spanMs:UInt32})
              ORDER BY kafka_offset DESC LIMIT {limit:UInt32}`,
      query_params: { topic, partition, spanMs, limit },
      format: 'JSONEachRow',
    });
    type Row = {
      id: string; type: 'pageview' | 'event' | 'engagement'; name: string; site: string; path: string; referrer_domain: string | null;
      utm_source: string | null; utm_medium: string | null; utm_campaign: string | null; country: string | null; browser: string | null;
      os: string | null; device: string; is_bot: boolean; visitor_id: string; event_time: number | string; received_at: number | string;
      session_id: string; session_start: boolean; session_started: number | string; session_pageviews: number | string; previous_exit: string;
      duration_added_ms: number | string; entry_page: string; entry_referrer: string; entry_utm_source: string; entry_utm_medium: string;
      entry_utm_campaign: string; is_late: boolean; kafka_offset: number | string;
    };
    // newest first so a limit keeps the newest; replayed oldest first
    return (await result.json<Row>()).reverse().map((r) => ({
      offset: BigInt(r.kafka_offset),
      facts: {
        sessionId: r.session_id,
        sessionStart: r.session_start,
        sessionStarted: Number(r.session_started),
        sessionPageviews: Number(r.session_pageviews),
        previousExit: r.previous_exit,
        durationAddedMs: Number(r.duration_added_ms),
        // a path is never empty: '' is a row before its session's first page view (or stored before migration 11)
        entry:
          r.entry_page === ''
            ? null
            : { path: r.entry_page, referrer: r.entry_referrer, utmSource: r.entry_utm_source, utmMedium: r.entry_utm_medium, utmCampaign: r.entry_utm_campaign },
        late: r.is_late,
      },
      event: {
        v: 3,
        id: r.id,
        clientEventId: null,
        type: r.type,
        name: r.name === '' ? null : r.name,
        props: {},
        site: r.site,
        url: '',
        hostname: '',
        path: r.path,
        referrer: null,
        referrerDomain: r.referrer_domain,
        title: null,
        screen: null,
        language: null,
        utm: { source: r.utm_source, medium: r.utm_medium, campaign: r.utm_campaign, term: null, content: null },
        browser: r.browser,
        os: r.os,
        device: r.device,
        isBot: r.is_bot,
        country: r.country,
        visitorId: r.visitor_id,
        eventTime: Number(r.event_time),
        clientTime: null,
        timeFlagged: false,
        receivedAt: Number(r.received_at),
        // what the stream core does not read is not read back
        tag: null,
        revenue: null,
        scrollDepth: null,
        engagedMs: null,
      },
    }));
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
}
