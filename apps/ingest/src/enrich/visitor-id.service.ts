import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { SaltRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import type { Logger } from '@clickstream/logger';
import { ApiError, APP_CONFIG, CLICKHOUSE, LOGGER } from '@clickstream/platform';

const DAY_MS = 86_400_000;

/** The UTC day of an instant, YYYY-MM-DD. */
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Cookieless visitor id, as Plausible does it: a hash of the day's secret salt, the site,
 * the IP and the User-Agent. The IP is never stored; once the salt is gone (two days),
 * the id cannot be recomputed, so it cannot be turned back into an IP.
 */
@Injectable()
export class VisitorIdService {
  private readonly salts: SaltRepository;
  private current: { day: string; salt: Promise<string> } | undefined;

  constructor(
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.salts = new SaltRepository(clickhouse, config.clickhouse.database);
  }

  async visitorId(site: string, ip: string, userAgent: string, now: number): Promise<string> {
    let salt: string;
    try {
      salt = await this.saltOf(now);
    } catch (err) {
      // today's salt is shared by every ingest process: none may make one up on its own
      this.logger.warn({ err: (err as Error).message }, 'cannot read the day\'s visitor-id salt from ClickHouse');
      throw ApiError.unavailable("the day's visitor-id salt cannot be read (ClickHouse unreachable)", 2);
    }
    return createHash('sha256').update(`${salt}\u0000${site}\u0000${ip}\u0000${userAgent}`).digest('hex').slice(0, 32);
  }

  private saltOf(now: number): Promise<string> {
    const day = dayOf(now);
    if (this.current?.day !== day) {
      const salt = this.salts.saltFor(day);
      this.current = { day, salt };
      // a failed lookup must not stick for the whole day
      salt.catch(() => {
        if (this.current?.salt === salt) this.current = undefined;
      });
      this.forgetSaltsBefore(dayOf(now - DAY_MS));
    }
    return this.current.salt;
  }

  /**
   * Yesterday's salt is kept: an instance whose clock is a little behind may still ask for it
   * around midnight, and a fresh one would split its visitors in two.
   */
  private forgetSaltsBefore(day: string): void {
    this.salts.deleteBefore(day).catch((err: Error) => this.logger.warn({ err: err.message }, 'old visitor-id salts not deleted yet; the next day, or the table TTL, deletes them'));
  }
}
