import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { decodeAggregateUpdate, type PresenceUpdate } from '@clickstream/events';
import { BatchConsumer, TopicAdmin } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import { LiveWindowView, WindowMetrics } from '@clickstream/stream';
import type { LiveSnapshot, LiveState } from './live.events.js';
import { LiveWindowRepository } from './live-window.repository.js';

const SECOND = 1000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const SECONDS_SHOWN = 60;
const MINUTES_SHOWN = 30;

/** Told which sites' figures changed; the gateway coalesces these into room updates. */
export type ChangeListener = (site: string) => void;

/**
 * Keeps the merged live windows of every site: per second for the last minutes, per minute
 * for the whole day (today's total is their sum), and current visitors. Each gateway instance
 * reads the whole aggregates topic with a consumer group of its own, so several gateways can
 * serve the same sites; the group is deleted when the instance stops. A site's windows are
 * seeded from ClickHouse (per partition, with offsets) the first time it is asked for, so the
 * merge with live partials stays exact whenever the gateway started.
 */
@Injectable()
export class LiveService implements OnModuleDestroy {
  private readonly view = new LiveWindowView(2 * SECONDS_SHOWN * SECOND, { [MINUTE]: DAY + 2 * 3_600_000 });
  private readonly consumer: BatchConsumer;
  private readonly groupId: string;
  private listener: ChangeListener = () => undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  /** site -> partition -> newest current-visitor counts */
  private readonly presence = new Map<string, Map<number, PresenceUpdate>>();
  /** site -> the day start its minute windows were seeded for */
  private readonly seeded = new Map<string, Promise<number>>();

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: LiveWindowRepository,
  ) {
    this.groupId = `${config.kafka.clientId}-gateway-${randomUUID()}`;
    this.consumer = new BatchConsumer(
      kafka,
      {
        groupId: this.groupId,
        topics: [config.kafka.topics.aggregates],
        fromBeginning: false,
        // idle, one empty fetch per 2 s instead of two per second (each costs the broker CPU); an
        // update still arrives at once; a stop waits for the poll in flight (the group is deleted after)
        fetch: { minBytes: 1, maxWaitMs: 2000 },
      },
      logger.child({ component: 'aggregates-consumer' }),
    );
  }

  /** Starts reading aggregate updates; resolves once the consumer owns its partitions. */
  async start(listener: ChangeListener): Promise<void> {
    this.listener = listener;
    await this.consumer.start(async (batch) => {
      for (const m of batch.messages) {
        const update = decodeAggregateUpdate(m.value);
        if (!update) {
          this.logger.warn({ partition: batch.partition, offset: m.offset.toString() }, 'skipping undecodable aggregate update');
          continue;
        }
        if (update.kind === 'presence') {
          if (this.applyPresence(update)) this.listener(update.site);
          continue;
        }
        if (this.view.accept({ ...update, offset: BigInt(update.offset), metrics: WindowMetrics.fromJSON(update.metrics) })) this.listener(update.site);
      }
    });
    await this.consumer.ready();
    this.pruneTimer = setInterval(() => this.view.prune(Date.now()), 10_000).unref();
  }

  /** The site's live figures at `now`, seeding its windows from ClickHouse first if needed. */
  async state(site: string, now: number): Promise<LiveState> {
    const dayStart = now - (now % DAY);
    await this.seed(site, dayStart, now);
    // page views only, summed over partitions without building merged windows on this per-update path
    const perWindow = (sizeMs: number, shown: number) => this.view.pageviews(site, sizeMs, now - (now % sizeMs) - (shown - 1) * sizeMs).filter((w) => w.pageviews > 0);
    return {
      site,
      serverTime: now,
      dayStart,
      todayPageviews: this.view.pageviews(site, MINUTE, dayStart).reduce((n, w) => n + w.pageviews, 0),
      seconds: perWindow(SECOND, SECONDS_SHOWN),
      minutes: perWindow(MINUTE, MINUTES_SHOWN),
      presence: this.presenceOf(site),
    };
  }

  /** The state plus today's stored totals and top values, for a client that (re)connects. */
  async snapshot(site: string, now: number): Promise<LiveSnapshot> {
    const state = await this.state(site, now);
    return { ...state, ...(await this.repository.today(site, state.dayStart, 10)) };
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.consumer.stop();
    await new TopicAdmin(this.kafka, this.logger)
      .deleteConsumerGroup(this.groupId)
      .catch((err: Error) => this.logger.warn({ groupId: this.groupId, err: err.message }, 'could not delete the gateway consumer group'));
  }

  private async seed(site: string, dayStart: number, now: number): Promise<void> {
    let seeding = this.seeded.get(site);
    if (seeding && (await seeding) === dayStart) return;
    seeding = this.repository.partials(site, dayStart, now - now % SECOND - 2 * SECONDS_SHOWN * SECOND).then((partials) => {
      for (const p of partials) this.view.accept({ site, ...p, metrics: Object.assign(new WindowMetrics(), { pageviews: p.pageviews }) });
      return dayStart;
    });
    this.seeded.set(site, seeding);
    try {
      await seeding;
    } catch (err) {
      this.seeded.delete(site);
      throw err;
    }
  }

  /** Keeps each partition's newest counts; a visitor is on one partition, so the counts add up. */
  private applyPresence(update: PresenceUpdate): boolean {
    let partitions = this.presence.get(update.site);
    if (!partitions) {
      partitions = new Map();
      this.presence.set(update.site, partitions);
    }
    const current = partitions.get(update.partition);
    if (current && current.at > update.at) return false;
    partitions.set(update.partition, update);
    return !current || current.visitors5m !== update.visitors5m || current.visitors30m !== update.visitors30m;
  }

  private presenceOf(site: string): LiveState['presence'] {
    let visitors5m = 0;
    let visitors30m = 0;
    for (const p of this.presence.get(site)?.values() ?? []) {
      visitors5m += p.visitors5m;
      visitors30m += p.visitors30m;
    }
    return { visitors5m, visitors30m };
  }
}
