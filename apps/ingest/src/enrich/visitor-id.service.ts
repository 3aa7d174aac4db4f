import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import { SaltRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';

/**
 * Cookieless visitor id, as Plausible does it: a hash of the day's secret salt, the site,
 * the IP and the User-Agent. The IP is never stored; once the salt is gone (two days),
 * the id cannot be recomputed, so it cannot be turned back into an IP.
 */
@Injectable()
export class VisitorIdService {
  private readonly salts: SaltRepository;
  private current: { day: string; salt: Promise<string> } | undefined;

  constructor(@Inject(CLICKHOUSE) clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.salts = new SaltRepository(clickhouse, config.clickhouse.database);
  }

  async visitorId(site: string, ip: string, userAgent: string, now: number): Promise<string> {
    const salt = await this.saltOf(new Date(now).toISOString().slice(0, 10));
    return createHash('sha256').update(`${salt}\u0000${site}\u0000${ip}\u0000${userAgent}`).digest('hex').slice(0, 32);
  }

  private saltOf(day: string): Promise<string> {
    if (this.current?.day !== day) {
      const salt = this.salts.saltFor(day);
      this.current = { day, salt };
      // a failed lookup must not stick for the whole day
      salt.catch(() => {
        if (this.current?.salt === salt) this.current = undefined;
      });
    }
    return this.current.salt;
  }
}
