import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { BatchConsumer } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, KAFKA, LOGGER } from '@clickstream/platform';
import { AggregationService } from './aggregation.service.js';

const PRESENCE_INTERVAL_MS = 2000;
/** At shutdown, how long buffered rows may take to be stored before they are left to redelivery. */
const STOP_FLUSH_MS = 10_000;

/**
 * The aggregator's member of the events consumer group, and the clock of the live view:
 * it publishes due windows every publish interval and current visitors every 2 s.
 */
@Injectable()
export class EventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumer: BatchConsumer;
  private readonly timers: NodeJS.Timeout[] = [];
  private owned: number[] = [];

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly aggregation: AggregationService,
  ) {
    const topic = config.kafka.topics.events;
    this.consumer = new BatchConsumer(
      kafka,
      {
        groupId: config.kafka.consumerGroup,
        topics: [topic],
        fromBeginning: true,
        // batches of all owned partitions are handled side by side; their rows share inserts
        concurrency: config.kafka.partitions.events,
        // at most a fetch per 25 ms: under load, one fetch per event or two cost the broker more CPU than
        // the whole ingest path (measured: single events 3.3k -> 4.6k req/s in npm run bench -- --only ingest);
        // idle, a fetch waits up to 1.5 s on the broker and returns with the first event (a fixed 25 ms
        // wait made 40 empty fetches a second, most of an idle broker's CPU; each empty fetch of the
        // 12 partitions costs the broker about 5 ms of CPU: one consumer at 2 fetches/s 3.2% of a core,
        // at one per 5 s 1.9%, the broker with no client 1.6%); a stop waits for the fetch in flight
        fetch: { minBytes: 1, maxWaitMs: 1500, minIntervalMs: 25 },
        // before a rebalance or a stop, what was handled is stored and committed first
        onDrain: () => this.aggregation.flush(),
        onDrained: () => this.aggregation.gather(),
        onAssignment: (assignment) => {
          this.owned = assignment[topic] ?? [];
          this.aggregation.onAssignment(this.owned, this.owned.length < config.kafka.partitions.events);
        },
      },
      logger.child({ component: 'events-consumer' }),
    );
    this.aggregation.onStorageChange((state) => (state.up ? this.consumer.resume() : this.consumer.pause()));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start((batch) => this.aggregation.process(batch));
    const tick = (what: string, run: () => Promise<void>) => () =>
      void run().catch((err: Error) => this.logger.warn({ err: err.message }, `${what} failed; retrying on the next tick`));
    this.timers.push(setInterval(tick('publishing windows', () => this.aggregation.publishDue(Date.now())), this.config.stream.publishIntervalMs));
    this.timers.push(setInterval(tick('publishing current visitors', () => this.aggregation.publishPresence(Date.now())), PRESENCE_INTERVAL_MS));
  }

  ready(): Promise<void> {
    return this.consumer.ready();
  }

  /** Partitions of the events topic this instance owns now. */
  assignment(): readonly number[] {
    return this.owned;
  }

  /** Finishes the batches in flight, stores every handled row now, commits them, leaves the group, publishes the last windows. */
  async onModuleDestroy(): Promise<void> {
    // the consumer's stop asks the aggregation to flush (onDrain) before it waits for the commits
    const giveUp = setTimeout(() => this.aggregation.stopStoring(), STOP_FLUSH_MS);
    try {
      await this.consumer.stop();
    } finally {
      clearTimeout(giveUp);
      this.aggregation.stopStoring();
      for (const t of this.timers) clearInterval(t);
    }
    await this.aggregation.publishDue(Date.now()).catch((err: Error) => this.logger.warn({ err: err.message }, 'last window updates not published'));
  }
}
