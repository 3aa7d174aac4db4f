import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { decodeWindowUpdate } from '@clickstream/events';
import { BatchConsumer, TopicAdmin } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import { LiveWindowView } from '@clickstream/stream';
import type { LiveSnapshotPayload, LiveWindowPayload } from './live.events.js';
import { LiveWindowRepository } from './live-window.repository.js';

const WINDOW_SIZE_MS = 1000;
const LIVE_HORIZON_MS = 60_000;

export type WindowListener = (update: LiveWindowPayload) => void;

/**
 * Keeps the merged live windows of every site. Each gateway instance reads the whole
 * aggregates topic with a consumer group of its own, so several gateways can serve the
 * same sites; the group is deleted when the instance stops.
 */
@Injectable()
export class LiveService implements OnModuleDestroy {
  private readonly view = new LiveWindowView(LIVE_HORIZON_MS * 2);
  private readonly consumer: BatchConsumer;
  private readonly groupId: string;
  private listener: WindowListener = () => undefined;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: LiveWindowRepository,
  ) {
    this.groupId = `${config.kafka.clientId}-gateway-${randomUUID()}`;
    this.consumer = new BatchConsumer(kafka, { groupId: this.groupId, topics: [config.kafka.topics.aggregates], fromBeginning: false }, logger.child({ component: 'aggregates-consumer' }));
  }

  /** Starts reading window updates; resolves once the consumer owns its partitions. */
  async start(listener: WindowListener): Promise<void> {
    this.listener = listener;
    await this.consumer.start(async (batch) => {
      for (const m of batch.messages) {
        const update = decodeWindowUpdate(m.value);
        if (!update) {
          this.logger.warn({ partition: batch.partition, offset: m.offset.toString() }, 'skipping undecodable window update');
          continue;
        }
        const merged = this.view.apply({ ...update, offset: BigInt(update.offset) });
        if (merged) this.listener({ ...merged, windowSizeMs: update.windowSizeMs, final: update.final });
      }
    });
    await this.consumer.ready();
    this.pruneTimer = setInterval(() => this.view.prune(Date.now()), 10_000).unref();
  }

  async snapshot(site: string, now: number): Promise<LiveSnapshotPayload> {
    const dayStart = now - (now % 86_400_000);
    const horizon = Math.max(dayStart, now - (now % WINDOW_SIZE_MS) - LIVE_HORIZON_MS);
    const stored = await this.repository.partials(site, dayStart, horizon);
    for (const p of stored.partials) this.view.apply({ site, ...p });
    const windows = this.view.windows(site, horizon).map(({ windowStart, pageviews }) => ({ windowStart, pageviews }));
    const todayPageviews = stored.before + windows.reduce((sum, w) => sum + w.pageviews, 0);
    return { site, serverTime: now, dayStart, todayPageviews, windows, windowSizeMs: WINDOW_SIZE_MS };
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.consumer.stop();
    await new TopicAdmin(this.kafka, this.logger)
      .deleteConsumerGroup(this.groupId)
      .catch((err: Error) => this.logger.warn({ groupId: this.groupId, err: err.message }, 'could not delete the gateway consumer group'));
  }
}
