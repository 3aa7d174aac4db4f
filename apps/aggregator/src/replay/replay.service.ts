import type { Kafka } from 'kafkajs';
import { CURRENT_ROLLUP_TABLES, VISITOR_SKETCH, type ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';

/** Where a replay starts: the log start, one offset for every partition, or the first record at or after a time. */
export type ReplayFrom = { earliest: true } | { offset: bigint } | { timestamp: number };

export interface ReplayPlan {
  topic: string;
  groupId: string;
  epoch: number;
  partitions: { partition: number; from: bigint; end: bigint }[];
  /** Records the aggregator will read again. */
  records: bigint;
}

export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/**
 * Reprocessing by offset, as the stream-processing tutorial does it by hand: rewind the
 * aggregator's consumer group and let it read the log again. To keep counts exact, what was
 * stored from those offsets on is deleted first, every rollup is rebuilt from the raw events
 * that remain, and a new replay epoch keeps ClickHouse from taking the re-inserted offset
 * ranges for repeats. The aggregators must be stopped (Kafka only moves an empty group).
 */
export class ReplayService {
  private readonly db: string;
  private readonly topic: string;
  private readonly groupId: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly clickhouse: ClickHouseClient,
    config: AppConfig,
    private readonly logger: Logger,
  ) {
    this.db = config.clickhouse.database;
    this.topic = config.kafka.topics.events;
    this.groupId = config.kafka.consumerGroup;
  }

  async replay(from: ReplayFrom): Promise<ReplayPlan> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [group] = (await admin.describeGroups([this.groupId])).groups;
      if (group && group.members.length > 0) {
        throw new ReplayError(`consumer group ${this.groupId} has ${group.members.length} active member(s): stop the aggregator(s) before a replay`);
      }
      if (!(await admin.listTopics()).includes(this.topic)) throw new ReplayError(`topic ${this.topic} does not exist`);
      const ends = await admin.fetchTopicOffsets(this.topic);
      const byTime = 'timestamp' in from ? await admin.fetchTopicOffsetsByTimestamp(this.topic, from.timestamp) : [];
      const partitions = ends
        .map((p) => {
          const low = BigInt(p.low);
          const end = BigInt(p.high);
          let start: bigint;
          if ('earliest' in from) start = low;
          else if ('offset' in from) {
            if (from.offset < 0n) throw new ReplayError(`offset must be 0 or more, got ${from.offset}`);
            start = from.offset < low ? low : from.offset > end ? end : from.offset;
          } else start = BigInt(byTime.find((t) => t.partition === p.partition)?.offset ?? p.high);
          return { partition: p.partition, from: start, end };
        })
        .sort((a, b) => a.partition - b.partition);

      await this.deleteStoredFrom(partitions);
      await this.rebuildRollups();
      const epoch = await this.nextEpoch(from);
      await admin.setOffsets({ groupId: this.groupId, topic: this.topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: p.from.toString() })) });
      const records = partitions.reduce((sum, p) => sum + (p.end - p.from), 0n);
      this.logger.info({ groupId: this.groupId, topic: this.topic, epoch, records: records.toString() }, 'consumer group rewound; rollups rebuilt from the raw events kept');
      return { topic: this.topic, groupId: this.groupId, epoch, partitions, records };
    } finally {
      await admin.disconnect();
    }
  }

  /** Deletes the raw events stored from each partition's replay start on. */
  private async deleteStoredFrom(partitions: readonly { partition: number; from: bigint }[]): Promise<void> {
    const where = partitions.map((p) => `(kafka_partition = ${p.partition} AND kafka_offset >= ${p.from})`).join(' OR ');
    if (!where) return;
    await this.clickhouse.command({
      query: `ALTER TABLE ${this.db}.events_raw DELETE WHERE kafka_topic = {topic:String} AND (${where})`,
      query_params: { topic: this.topic },
      clickhouse_settings: { mutations_sync: '2' },
    });
  }

  /** Every derived table, emptied and filled again from the raw events by the same SELECT its view runs. */
  private async rebuildRollups(): Promise<void> {
    for (const t of CURRENT_ROLLUP_TABLES) {
      const select = t.select(this.db, VISITOR_SKETCH);
      // INSERT ... SELECT matches columns by position, a view by name: name them
      const described = await (await this.clickhouse.query({ query: `DESCRIBE (${select})`, format: 'JSONEachRow' })).json<{ name: string }>();
      const columns = described.map((c) => c.name).join(', ');
      await this.clickhouse.command({ query: `TRUNCATE TABLE ${this.db}.${t.table}` });
      // a rebuilt block may equal one inserted before: it must not be skipped as a repeat
      await this.clickhouse.command({ query: `INSERT INTO ${this.db}.${t.table} (${columns}) ${select}`, clickhouse_settings: { insert_deduplicate: 0 } });
    }
  }

  private async nextEpoch(from: ReplayFrom): Promise<number> {
    const [row] = await (await this.clickhouse.query({ query: `SELECT max(epoch) AS e FROM ${this.db}.replay_epochs`, format: 'JSONEachRow' })).json<{ e: number | string }>();
    const epoch = Number(row?.e ?? 0) + 1;
    const description = 'earliest' in from ? 'from the earliest offsets' : 'offset' in from ? `from offset ${from.offset}` : `from ${new Date(from.timestamp).toISOString()}`;
    await this.clickhouse.insert({ table: `${this.db}.replay_epochs`, values: [{ epoch, description }], format: 'JSONEachRow' });
    return epoch;
  }
}
