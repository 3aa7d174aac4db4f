import { Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from '@clickstream/logger';

export interface OutgoingMessage {
  topic: string;
  key: string;
  value: Buffer;
}

export interface EventProducerOptions {
  /**
   * How long a message waits for others to join it, and the least time between the starts of two
   * produce requests: under load a request carries what arrived in that time rather than in one
   * broker round trip, so the broker handles fewer, larger requests (0: send at once, one at a time).
   */
  lingerMs: number;
  /** Most messages in one sendBatch call. */
  maxBatch: number;
  /** Longest a caller waits for the acknowledgement before ProduceTimeoutError. */
  timeoutMs: number;
}

/** Broker answers after which kafkajs' idempotent producer cannot go on (see replaceIfStuck). */
const STUCK = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** Kafka did not acknowledge in time or refused the write: the caller must not report success. */
export class ProduceError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'failed' | 'closed',
  ) {
    super(message);
    this.name = 'ProduceError';
  }
}

interface Pending {
  messages: readonly OutgoingMessage[];
  settle: (err?: Error) => void;
}

/**
 * An idempotent producer (acks=all) that gathers concurrent send() calls into one sendBatch:
 * a request never waits for a Kafka round trip of its own, and each caller's promise resolves
 * only when the batch holding its messages is acknowledged by all in-sync replicas.
 */
export class EventProducer {
  private producer: Producer;
  private queue: Pending[] = [];
  private queued = 0;
  /** When the oldest queued message arrived, and when the last produce request started (performance.now()). */
  private firstQueuedAt = 0;
  private lastSendAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private connected = false;
  private everConnected = false;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventProducerOptions,
    private readonly logger: Logger,
  ) {
    this.producer = this.create();
  }

  private create(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    producer.on(producer.events.DISCONNECT, () => (this.connected = false));
    producer.on(producer.events.CONNECT, () => (this.connected = true));
    return producer;
  }

  /**
   * kafkajs' idempotent producer does not recover from a sequence the broker no longer agrees
   * with (after a leader is lost with writes in flight, kafkajs#598): every later write fails the
   * same way. A new producer gets a new producer id and starts its sequences afresh; the events
   * it sends again keep their ids, so the aggregator still counts each once.
   */
  private replaceIfStuck(err: Error): void {
    const type = (err as { type?: string }).type ?? '';
    if (!STUCK.has(type) && !/out of order sequence|unknown producer|producer.*epoch/i.test(err.message)) return;
    const old = this.producer;
    this.producer = this.create();
    this.everConnected = false;
    this.logger.warn({ err: err.message }, 'the idempotent producer lost its sequence with the broker: replaced by a new one');
    void old.disconnect().catch(() => undefined);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * Connects once; until the first connection succeeds, every batch tries again first, so a
   * producer started while Kafka is down answers with ProduceError and recovers by itself.
   */
  connect(): Promise<void> {
    if (this.everConnected) return Promise.resolve();
    this.connecting ??= this.producer
      .connect()
      .then(() => {
        this.everConnected = true;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Resolves once Kafka acknowledged every message; rejects with ProduceError otherwise. */
  send(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new ProduceError('producer is shutting down', 'closed'));
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const timeout = setTimeout(() => {
        if (done) return;
        done = true;
        reject(new ProduceError(`Kafka did not acknowledge within ${this.options.timeoutMs} ms`, 'timeout'));
      }, this.options.timeoutMs);
      this.queue.push({
        messages,
        settle: (err) => {
          clearTimeout(timeout);
          if (done) return;
          done = true;
          if (err) reject(err);
          else resolve();
        },
      });
      if (this.queued === 0) this.firstQueuedAt = performance.now();
      this.queued += messages.length;
      this.schedule();
    });
  }

  /** Stops taking messages, sends what is queued and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    while (this.queue.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight;
      else this.flush();
    }
    await this.connecting?.catch(() => undefined);
    await this.producer.disconnect();
  }

  /**
   * Sends when the batch is full, else once the oldest message has lingered and the last request
   * started at least lingerMs ago: one request per lingerMs at most while messages keep coming.
   */
  private schedule(): void {
    if (this.inFlight || this.queue.length === 0) return; // the running flush schedules again when it ends
    if (this.queued >= this.options.maxBatch || this.options.lingerMs === 0) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const due = Math.max(this.firstQueuedAt, this.lastSendAt) + this.options.lingerMs;
    const wait = due - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || this.queue.length === 0) return;

    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (count === 0 || count + this.queue[0]!.messages.length <= this.options.maxBatch)) {
      const next = this.queue.shift()!;
      batch.push(next);
      count += next.messages.length;
    }
    this.queued -= count;
    if (this.queue.length > 0) this.firstQueuedAt = performance.now();
    this.lastSendAt = performance.now();

    const byTopic = new Map<string, TopicMessages>();
    for (const p of batch) {
      for (const m of p.messages) {
        let t = byTopic.get(m.topic);
        if (!t) {
          t = { topic: m.topic, messages: [] };
          byTopic.set(m.topic, t);
        }
        t.messages.push({ key: m.key, value: m.value });
      }
    }

    this.inFlight = this.connect()
      .then(() => this.producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1, timeout: this.options.timeoutMs }))
      .then(
        () => {
          for (const p of batch) p.settle();
        },
        (err: Error) => {
          this.logger.warn({ err: err.message, type: (err as { type?: string }).type, messages: count }, 'produce failed');
          this.replaceIfStuck(err);
          const failure = new ProduceError(`Kafka refused the write: ${err.message}`, 'failed');
          for (const p of batch) p.settle(failure);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        // what queued during the round trip goes once it lingered and the pace allows
        this.schedule();
      });
  }
}
