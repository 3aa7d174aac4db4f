import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { ApiError, APP_CONFIG, LOGGER } from '@clickstream/platform';
import { IngestState } from '../state/ingest-state.js';

const DAY_MS = 86_400_000;
/** Pause between two tries of the first agreement on today's salt. */
const RETRY_MS = 1000;

/** The last day `dayOf` formatted, as a day number since the epoch, and its text. */
let lastDay = Number.NaN;
let lastDayText = '';

/**
 * The UTC day of an instant, YYYY-MM-DD. Every hit asks it: the text is made once per day number
 * (a Date and its ISO string were 1.4% of an ingest process's main thread at 2,400 events/s).
 */
function dayOf(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    lastDayText = new Date(day * DAY_MS).toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastDayText;
}

/**
 * Cookieless visitor id, as Plausible does it: a hash of the day's secret salt, the site,
 * the IP and the User-Agent. The IP is never stored; once the salt is gone (Kafka deletes it
 * 48 h after it was drawn, and this process forgets it once the day before yesterday ends),
 * the id cannot be recomputed, so it cannot be turned back into an IP.
 *
 * The salt of a day is agreed on through the salts topic: an instance that finds none proposes a
 * random one, and every instance uses the first one written for the day.
 */
@Injectable()
export class VisitorIdService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly topic: string;
  private readonly drawing = new Map<string, Promise<string>>();
  private agreedOnce = false;
  private stopped = false;

  constructor(
    private readonly state: IngestState,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.topic = config.kafka.topics.salts;
  }

  /** True once a day's salt was agreed on: until then /health reports loading. */
  get ready(): boolean {
    return this.agreedOnce;
  }

  /**
   * Today's salt is agreed on before the first hit (it is served after this), not by the first
   * hits at once; when Kafka does not answer in time, the agreement is retried in the background.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.agreeOnToday()) return;
    this.logger.warn("today's visitor-id salt not agreed on through Kafka yet: /health reports loading until it is");
    void (async () => {
      while (!this.stopped && !(await this.agreeOnToday())) await sleep(RETRY_MS, undefined, { ref: false });
      if (this.agreedOnce) this.logger.info("today's visitor-id salt agreed on");
    })();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
  }

  private async agreeOnToday(): Promise<boolean> {
    try {
      await this.saltOf(Date.now());
      this.agreedOnce = true;
    } catch {
      // Kafka not answering yet: the caller tries again
    }
    return this.agreedOnce;
  }

  async visitorId(site: string, ip: string, userAgent: string, now: number): Promise<string> {
    let salt: string;
    try {
      salt = await this.saltOf(now);
    } catch (err) {
      // today's salt is shared by every ingest process: none may make one up on its own
      this.logger.warn({ err: (err as Error).message }, "cannot agree on the day's visitor-id salt through Kafka");
      throw ApiError.unavailable("the day's visitor-id salt cannot be read (Kafka unreachable)", 2);
    }
    return createHash('sha256').update(`${salt}\u0000${site}\u0000${ip}\u0000${userAgent}`).digest('hex').slice(0, 32);
  }

  private saltOf(now: number): Promise<string> {
    const day = dayOf(now);
    const known = this.state.tables.get(this.topic, day);
    if (known !== undefined) return Promise.resolve(known);
    let drawing = this.drawing.get(day);
    if (!drawing) {
      drawing = this.agree(day).finally(() => this.drawing.delete(day));
      this.drawing.set(day, drawing);
      // yesterday's salt is kept: an instance whose clock is a little behind may still use it
      // around midnight, and a fresh one would split its visitors in two
      const yesterday = dayOf(now - DAY_MS);
      this.state.tables.forget(this.topic, (d) => d < yesterday);
    }
    return drawing;
  }

  private async agree(day: string): Promise<string> {
    const { tables } = this.state;
    await tables.catchUp(this.topic);
    const existing = tables.get(this.topic, day);
    if (existing !== undefined) return existing;
    await tables.put(this.topic, day, randomBytes(32).toString('hex'));
    await tables.catchUp(this.topic);
    const chosen = tables.get(this.topic, day);
    if (chosen === undefined) throw new Error(`no salt read back for ${day}`);
    return chosen;
  }
}
