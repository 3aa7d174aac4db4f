import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { checkCollectPayload, encodeEvent, toTrackedEvent, type CollectPayload, type TrackedEvent } from '@clickstream/events';
import { ProduceError } from '@clickstream/kafka';
import { APP_CONFIG, ApiError } from '@clickstream/platform';
import { CountryResolver } from '../enrich/country.resolver.js';
import { parseUserAgent } from '../enrich/user-agent.js';
import { VisitorIdService } from '../enrich/visitor-id.service.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { IngestProducer } from '../producer/ingest-producer.js';
import { SiteCache } from '../sites/site-cache.js';
import { parseCollectBody } from './collect-body.js';
import { DeadLetterPublisher, type DeadLetter } from './dead-letter.publisher.js';

/** The request an event arrived with; the IP is used for the visitor id and the rate limit, never stored. */
export interface CollectContext {
  ip: string;
  userAgent: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number;
}

export interface RejectedEvent {
  index: number;
  error: 'invalid_event' | 'unknown_site';
  field: string | undefined;
  detail: string;
}

export interface CollectAnswer {
  accepted: number;
  ids: string[];
  rejected: RejectedEvent[];
}

/**
 * Validates, enriches and produces tracker events. An answer with accepted events is given
 * only after Kafka acknowledged all of them (acks=all); refused events are reported by
 * index and written to the dead-letter topic with the reason.
 */
@Injectable()
export class CollectService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly producer: IngestProducer,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly sites: SiteCache,
    private readonly visitors: VisitorIdService,
    private readonly countries: CountryResolver,
    private readonly metrics: IngestMetrics,
  ) {}

  async collect(rawBody: unknown, context: CollectContext): Promise<CollectAnswer> {
    let parsed;
    try {
      parsed = parseCollectBody(rawBody, this.config.ingest.maxEvents);
    } catch (err) {
      if (err instanceof ApiError) this.refuseRequest(err, rawBody, context.receivedAt);
      throw err;
    }
    return (await this.accept(parsed.items, parsed.batch, context)).answer;
  }

  /** Counts a request refused as a whole, and writes it to the dead-letter topic when it is bad data (400). */
  refuseRequest(err: ApiError, rawBody: unknown, receivedAt: number, site?: string): void {
    this.metrics.rejected.inc({ reason: err.code });
    if (err.status === 400) void this.deadLetters.publish([{ reason: err.code, field: err.field, detail: err.detail, index: undefined, payload: rawBody, site }], receivedAt);
  }

  /**
   * Counts and dead-letters the events of a request that named sites neither known nor aliased
   * (another product's tracker names its site in `field`), one letter per name.
   */
  refuseUnknownSites(names: readonly string[], field: string, rawBody: unknown, receivedAt: number): void {
    if (names.length === 0) return;
    this.metrics.rejected.inc({ reason: 'unknown_site' }, names.length);
    void this.deadLetters.publish(
      names.map((name) => ({ reason: 'unknown_site', field, detail: `${name} is not a site nor an alias of one`, index: undefined, payload: rawBody, site: name.slice(0, 64) })),
      receivedAt,
    );
  }

  /**
   * Events in the collect API's format, split out of one request (by collect itself, or by the
   * translation of another product's tracker): each validated, enriched and produced, refused ones
   * reported by index and dead-lettered. Resolves once Kafka acknowledged every accepted event;
   * throws a 400 ApiError when none was valid.
   */
  async accept(items: readonly unknown[], batch: boolean, context: CollectContext): Promise<{ answer: CollectAnswer; events: TrackedEvent[] }> {
    const { receivedAt } = context;
    this.metrics.batchSize.observe(items.length);

    const valid: { index: number; payload: CollectPayload }[] = [];
    const rejected: RejectedEvent[] = [];
    for (const [index, item] of items.entries()) {
      const check = checkCollectPayload(item);
      if (!check.ok) rejected.push({ index, error: 'invalid_event', field: check.field, detail: check.detail });
      else if (!(await this.sites.has(check.payload.site))) rejected.push({ index, error: 'unknown_site', field: 'site', detail: 'unknown site' });
      else valid.push({ index, payload: check.payload });
    }
    for (const r of rejected) this.metrics.rejected.inc({ reason: r.error });
    void this.deadLetters.publish(
      rejected.map((r): DeadLetter => {
        const item = items[r.index];
        const site = typeof item === 'object' && item !== null ? (item as { site?: unknown }).site : undefined;
        return { reason: r.error, field: r.field, detail: r.detail, index: batch ? r.index : undefined, payload: item, site: typeof site === 'string' ? site.slice(0, 64) : undefined };
      }),
      receivedAt,
    );

    if (valid.length === 0) {
      if (!batch) {
        const only = rejected[0]!;
        throw ApiError.badRequest(only.error, only.detail, only.field);
      }
      throw new ApiError(400, 'invalid_events', 'no valid event in the batch', undefined, {}, { accepted: 0, ids: [], rejected });
    }

    const events = await this.enrich(valid.map((v) => v.payload), context);
    await this.produce(events);
    for (const e of events) {
      this.metrics.accepted.inc({ type: e.type });
      if (e.isBot) this.metrics.bots.inc();
    }
    return { answer: { accepted: events.length, ids: events.map((e) => e.id), rejected }, events };
  }

  private async enrich(payloads: CollectPayload[], context: CollectContext): Promise<TrackedEvent[]> {
    const agent = parseUserAgent(context.userAgent);
    const country = this.countries.resolve(context.ip, context.headers);
    const visitorIds = new Map<string, string>();
    const events: TrackedEvent[] = [];
    for (const payload of payloads) {
      let visitorId = visitorIds.get(payload.site);
      if (visitorId === undefined) {
        visitorId = await this.visitors.visitorId(payload.site, context.ip, context.userAgent ?? '', context.receivedAt);
        visitorIds.set(payload.site, visitorId);
      }
      events.push(toTrackedEvent(payload, { receivedAt: context.receivedAt, visitorId, ...agent, country }, this.config.ingest.clockSkewMs));
    }
    return events;
  }

  /** Keyed by site and visitor: one visitor's events stay in order in one partition. */
  private async produce(events: TrackedEvent[]): Promise<void> {
    const stop = this.metrics.produceLatency.startTimer();
    try {
      await this.producer.send(events.map((e) => ({ topic: this.config.kafka.topics.events, key: `${e.site}:${e.visitorId}`, value: encodeEvent(e) })));
    } catch (err) {
      this.metrics.rejected.inc({ reason: 'unavailable' }, events.length);
      if (err instanceof ProduceError) throw ApiError.unavailable(`events not stored: ${err.message}`, 2);
      throw err;
    } finally {
      stop();
    }
  }
}
