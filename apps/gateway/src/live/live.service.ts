import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { decodeAggregateUpdate, type PresenceUpdate } from '@clickstream/events';
import { BatchConsumer, TopicAdmin } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import { LiveWindowView, WindowMetrics, type MetricsJson } from '@clickstream/stream';
import type { LivePresencePayload, LiveSnapshotPayload, LiveWindowPayload } from './live.events.js';
import { LiveWindowRepository } from './live-window.repository.js';

const WINDOW_SIZE_MS = 1000;
const LIVE_HORIZON_MS = 60_000;

export interface LiveListener {
  window(update: LiveWindowPayload): void;
  presence(update: LivePresencePayload): void;
}

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
  private listener: LiveListener = { window: () => undefined, presence: () => undefined };
  /** site -> partition -> newest current-visitor counts */
  private readonly presence = new Map<string, Map<number, PresenceUpdate>>();
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
  async start(listener: LiveListener): Promise<void> {
    this.listener = listener;
    await this.consumer.start(async (batch) => {
      for (const m of batch.messages) {
        const update = decodeAggregateUpdate(m.value);
        if (!update) {
          this.logger.warn({ partition: batch.partition, offset: m.offset.toString() }, 'skipping undecodable aggregate update');
          continue;
        }
        if (update.kind === 'presence') {
          const total = this.applyPresence(update);
          if (total) this.listener.presence(total);
          continue;
        }
        const merged = this.view.apply({ ...update, offset: BigInt(update.offset), metrics: WindowMetrics.fromJSON(update.metrics as MetricsJson) });
        if (merged && update.windowSizeMs === WINDOW_SIZE_MS) {
          const m = merged.metrics;
          this.listener.window({
            site: update.site,
            windowStart: update.windowStart,
            windowSizeMs: update.windowSizeMs,
            final: update.final,
            pageviews: m.pageviews,
            visitors: m.visitors,
            customEvents: m.customEvents,
            sessions: m.sessions,
          });
        }
      }
    });
    await this.consumer.ready();
    this.pruneTimer = setInterval(() => this.view.prune(Date.now()), 10_000).unref();
  }

  async snapshot(site: string, now: number): Promise<LiveSnapshotPayload> {
    const dayStart = now - (now % 86_400_000);
    const horizon = Math.max(dayStart, now - (now % WINDOW_SIZE_MS) - LIVE_HORIZON_MS);
    const stored = await this.repository.partials(site, dayStart, horizon);
    for (const p of stored.partials) this.view.apply({ site, windowSizeMs: WINDOW_SIZE_MS, ...p, metrics: Object.assign(new WindowMetrics(), { pageviews: p.pageviews }) });
    const windows = this.view.windows(site, WINDOW_SIZE_MS, horizon).map(({ windowStart, metrics }) => ({ windowStart, pageviews: metrics.pageviews }));
    const todayPageviews = stored.before + windows.reduce((sum, w) => sum + w.pageviews, 0);
    return { site, serverTime: now, dayStart, todayPageviews, windows, windowSizeMs: WINDOW_SIZE_MS, presence: this.presenceOf(site) };
  }

  /** Keeps each partition's newest counts; a visitor is on one partition, so the counts add up. */
  private applyPresence(update: PresenceUpdate): LivePresencePayload | undefined {
    let partitions = this.presence.get(update.site);
    if (!partitions) {
      partitions = new Map();
      this.presence.set(update.site, partitions);
    }
    const current = partitions.get(update.partition);
    if (current && current.at > update.at) return undefined;
    partitions.set(update.partition, update);
    return this.presenceOf(update.site);
  }

  private presenceOf(site: string): LivePresencePayload {
    let visitors5m = 0;
    let visitors30m = 0;
    let at = 0;
    for (const p of this.presence.get(site)?.values() ?? []) {
      visitors5m += p.visitors5m;
      visitors30m += p.visitors30m;
      at = Math.max(at, p.at);
    }
    return { site, at, visitors5m, visitors30m };
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.consumer.stop();
    await new TopicAdmin(this.kafka, this.logger)
      .deleteConsumerGroup(this.groupId)
      .catch((err: Error) => this.logger.warn({ groupId: this.groupId, err: err.message }, 'could not delete the gateway consumer group'));
  }
}
