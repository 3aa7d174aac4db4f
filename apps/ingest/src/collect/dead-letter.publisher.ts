import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, LOGGER } from '@clickstream/platform';
import { IngestProducer } from '../producer/ingest-producer.js';

export interface DeadLetter {
  reason: string;
  field: string | undefined;
  detail: string;
  /** Position in the batch, when the body was a batch. */
  index: number | undefined;
  payload: unknown;
  site: string | undefined;
}

const MAX_PAYLOAD_CHARS = 2048;

/** Refused events go to the dead-letter topic with the reason, a truncated payload and the receive time. */
@Injectable()
export class DeadLetterPublisher {
  private readonly topic: string;

  constructor(private readonly producer: IngestProducer, @Inject(APP_CONFIG) config: AppConfig, @Inject(LOGGER) private readonly logger: Logger) {
    this.topic = config.kafka.topics.deadLetter;
  }

  /** Best effort: the client's answer does not wait on Kafka being up for refused data. */
  async publish(letters: readonly DeadLetter[], receivedAt: number): Promise<void> {
    if (letters.length === 0) return;
    try {
      await this.producer.send(
        letters.map((l) => ({
          topic: this.topic,
          key: l.site ?? 'unknown',
          value: Buffer.from(
            JSON.stringify({
              source: 'ingest',
              reason: l.reason,
              field: l.field ?? null,
              detail: l.detail,
              index: l.index ?? null,
              payload: truncate(l.payload),
              receivedAt,
            }),
          ),
        })),
      );
    } catch (err) {
      this.logger.warn({ letters: letters.length, err: (err as Error).message }, 'dead letters not written');
    }
  }
}

function truncate(payload: unknown): string {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? String(payload));
  } catch {
    // nested too deep to write out (String() would overflow the stack too): the reason still goes out
    text = '(not serializable: nested too deeply)';
  }
  return text.length > MAX_PAYLOAD_CHARS ? `${text.slice(0, MAX_PAYLOAD_CHARS)}…` : text;
}
