import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import type { AppConfig } from '@clickstream/config';
import { createKafka } from '@clickstream/kafka';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, LOGGER } from '@clickstream/platform';
import { IngestProducer } from '../producer/ingest-producer.js';

/**
 * Each probe is two metadata requests: at 2 s, the two ingest processes' probes were about a
 * third of the requests an idle system sends the broker. A failed produce shows at once anyway.
 */
const PROBE_EVERY_MS = 5000;

/**
 * Whether Kafka takes writes: a cheap metadata probe every five seconds (its own client,
 * no retries, so a dead broker shows on the next probe) plus the outcome of the latest produce.
 * Recovers by itself when the broker is back.
 */
@Injectable()
export class KafkaHealth implements OnModuleInit, OnApplicationShutdown {
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probeOk = true;
  private probing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly producer: IngestProducer,
  ) {}

  onModuleInit(): void {
    const kafka = createKafka({ brokers: this.config.kafka.brokers ?? [], clientId: `${this.config.kafka.clientId}-health`, logger: this.logger.child({ component: 'kafka-health' }), retries: 0 });
    this.admin = kafka.admin();
    this.timer = setInterval(() => void this.probe(), PROBE_EVERY_MS).unref();
  }

  get healthy(): boolean {
    return this.probeOk && !this.producer.failing;
  }

  private async probe(): Promise<void> {
    if (this.probing || !this.admin) return;
    this.probing = true;
    try {
      await this.admin.connect();
      await this.admin.describeCluster();
      if (!this.probeOk) this.logger.info('Kafka reachable again');
      this.probeOk = true;
    } catch (err) {
      if (this.probeOk) this.logger.warn({ err: (err as Error).message }, 'Kafka unreachable: /health reports degraded');
      this.probeOk = false;
      await this.admin.disconnect().catch(() => undefined);
    } finally {
      this.probing = false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
