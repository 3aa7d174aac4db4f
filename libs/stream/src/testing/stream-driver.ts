import { StreamProcessor, type EventFacts, type StreamProcessorOptions, type WindowUpdateOut } from '../stream-processor.js';
import type { StreamEvent } from '../window-metrics.js';

export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

export const DEFAULT_OPTIONS: StreamProcessorOptions = {
  allowedLatenessMs: 5000,
  sessionGapMs: 30 * 60_000,
  windowSizesMs: [1000, 60_000],
  retentionMs: 120_000,
  publishIntervalMs: 250,
};

let ids = 0;

/** A human page view of `/` by visitor `v1` on site `shop`, with overrides. */
export function streamEvent(eventTime: number, overrides: Partial<StreamEvent> = {}): StreamEvent {
  ids += 1;
  return {
    id: `e${ids}`,
    type: 'pageview',
    site: 'shop',
    path: '/',
    referrerDomain: null,
    utm: { source: null, medium: null, campaign: null },
    isBot: false,
    visitorId: 'v1',
    eventTime,
    ...overrides,
  };
}

export interface Pushed {
  partition: number;
  offset: bigint;
  event: StreamEvent;
  facts: EventFacts;
}

/**
 * Pushes records with fixed event times and offsets into a StreamProcessor and advances
 * processing time by hand, the way Kafka Streams' TopologyTestDriver does.
 */
export class StreamDriver {
  readonly core: StreamProcessor;
  readonly pushed: Pushed[] = [];
  now = T0;
  private readonly next = new Map<number, bigint>();

  constructor(options: Partial<StreamProcessorOptions> = {}) {
    this.core = new StreamProcessor({ ...DEFAULT_OPTIONS, ...options });
  }

  push(event: StreamEvent, partition = 0): EventFacts | undefined {
    const offset = this.next.get(partition) ?? (this.core.lastOffset(partition) ?? -1n) + 1n;
    this.next.set(partition, offset + 1n);
    const facts = this.core.process(partition, offset, event);
    if (facts) this.pushed.push({ partition, offset, event, facts });
    return facts;
  }

  /** Publishes what is due at the current processing time. */
  publish(advanceMs = 0): WindowUpdateOut[] {
    this.now += advanceMs;
    const updates = this.core.updates(this.now);
    this.core.acknowledge(updates, this.now);
    return updates;
  }
}
