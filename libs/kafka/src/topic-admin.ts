import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '@clickstream/logger';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
  config?: Record<string, string>;
}

/** Creates the project's topics with explicit partition counts; existing topics are left as they are. */
export class TopicAdmin {
  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
  ) {}

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length > 0) {
        // kafkajs' own wait for leaders gives up on "does not host this topic-partition" while a
        // fresh broker is still creating other topics; waitUntilServed below retries that
        await admin.createTopics({
          waitForLeaders: false,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: s.replicationFactor,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
        for (const s of missing) this.logger.info({ topic: s.topic, partitions: s.partitions }, 'topic created');
        await this.waitUntilServed(admin, missing.map((m) => m.topic));
      }
      const present = specs.filter((s) => existing.has(s.topic));
      if (present.length > 0) {
        const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
        for (const t of meta.topics) {
          const want = present.find((s) => s.topic === t.name)?.partitions;
          if (want !== undefined && t.partitions.length !== want) {
            this.logger.warn({ topic: t.name, partitions: t.partitions.length, configured: want }, 'topic exists with another partition count; keeping it');
          }
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * A new topic's leaders can be elected before the broker serves its partitions; asking
   * every partition's offsets proves they are served, so the first produce or fetch succeeds.
   */
  private async waitUntilServed(admin: Admin, topics: string[], timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const topic of topics) {
      for (;;) {
        try {
          await admin.fetchTopicOffsets(topic);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`topic ${topic} was created but is not served: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }

  async deleteConsumerGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([groupId]);
    } finally {
      await admin.disconnect();
    }
  }
}
