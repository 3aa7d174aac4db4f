import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import maxmind, { type Reader, type Response } from 'maxmind';
import type { AppConfig } from '@clickstream/config';
import type { Logger } from '@clickstream/logger';
import { APP_CONFIG, LOGGER } from '@clickstream/platform';

/** MaxMind's GeoIP2/GeoLite2 country layout, or the flat `country_code` of the free ip-location-db files. */
type CountryRecord = Response & {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  country_code?: string;
};

/**
 * The visitor's country: from a header the operator's proxy or CDN sets (trusted by
 * configuration only), else from a MaxMind-format database, else unknown (null).
 */
@Injectable()
export class CountryResolver implements OnModuleInit {
  private reader: Reader<CountryRecord> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(LOGGER) private readonly logger: Logger) {}

  async onModuleInit(): Promise<void> {
    const path = this.config.ingest.geoipDbPath;
    if (!path) return;
    try {
      this.reader = await maxmind.open<CountryRecord>(path, { watchForUpdates: false });
      this.logger.info({ path }, 'country database opened');
    } catch (err) {
      throw new Error(`GEOIP_DB_PATH: cannot open ${path}: ${(err as Error).message}`);
    }
  }

  resolve(ip: string, headers: Record<string, string | string[] | undefined>): string | null {
    const header = this.config.ingest.countryHeader;
    if (header) {
      const value = headers[header];
      const code = (Array.isArray(value) ? value[0] : value)?.trim().toUpperCase();
      if (code && /^[A-Z]{2}$/.test(code) && code !== 'XX') return code;
    }
    if (this.reader && maxmind.validate(ip)) {
      const hit = this.reader.get(ip);
      const code = hit?.country?.iso_code ?? hit?.registered_country?.iso_code ?? hit?.country_code;
      return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : null;
    }
    return null;
  }
}
