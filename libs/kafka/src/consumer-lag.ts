import type { Admin, Kafka } from 'kafkajs';

export interface PartitionLag {
  partition: number;
  /** Next offset the group will read (the committed offset), or the log start when it has none. */
  committed: bigint;
  /** Offset the next record written to the partition will get. */
  end: bigint;
  lag: bigint;
}

/** Measures how far a consumer group is behind the end of a topic, per partition. */
export class ConsumerLag {
  private admin: Admin | undefined;

  constructor(private readonly kafka: Kafka) {}

  async measure(groupId: string, topic: string): Promise<PartitionLag[]> {
    const admin = await this.connected();
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    return ends
      .map((p) => {
        const low = BigInt(p.low);
        const end = BigInt(p.high);
        const c = byPartition.get(p.partition) ?? -1n;
        const from = c < 0n ? low : c;
        return { partition: p.partition, committed: from, end, lag: end > from ? end - from : 0n };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect();
  }

  private async connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }
}
