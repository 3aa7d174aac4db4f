import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/** The country database that ships as a dependency: IPv4 and IPv6, from registry (whois), ASN and geofeed data. */
const BUNDLED_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';
export function bundledCountryDatabase(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${BUNDLED_PACKAGE}/package.json`)), 'geo-whois-asn-country.mmdb');
}

/**
 * The visitor's country: from a header the operator's proxy or CDN sets (trusted by
 * configuration only), else from a MaxMind-format database (the bundled one unless
 * GEOIP_DB_PATH names another, or none), else unknown (null).
 */
@Injectable()
export class CountryResolver implements OnModuleInit {
  private reader: Reader<CountryRecord> | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(LOGGER) private readonly logger: Logger) {}

  async onModuleInit(): Promise<void> {
    const geoip = this.config.ingest.geoip;
    if (geoip.source === 'none') return;
    const path = geoip.source === 'file' ? geoip.path : bundledCountryDatabase();
    try {
      this.reader = await maxmind.open<CountryRecord>(path, { watchForUpdates: false });
      this.logger.info({ path, source: geoip.source }, 'country database opened');
    } catch (err) {
      throw new Error(`GEOIP_DB_PATH: cannot open ${geoip.source === 'file' ? path : `the bundled country database ${path}`}: ${(err as Error).message}`);
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
