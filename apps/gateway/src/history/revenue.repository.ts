import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import { FILTERED_READ_SETTINGS, filterSql, type Filter } from './filters.js';
import type { TimeRange } from './history-params.js';
import { daysThenRaw } from './sql-fragments.js';
import { DAY_MS, wholeUnits } from './whole-units.js';

/**
 * Revenue in one currency: the exact decimal sum as text (amounts are stored as Decimal(18, 6)
 * and summed without a float in between). Amounts in different currencies are never added.
 */
export interface RevenueSum {
  currency: string;
  amount: string;
}

/** `SELECT ... AS currency, ... AS amount` over the rows of a WHERE: revenue per currency, exact. */
export const REVENUE_COLUMNS = `revenue_currency AS currency, toString(sum(revenue_amount)) AS amount`;

/** Rows carrying a revenue. */
export const HAS_REVENUE = `revenue_currency != ''`;

/** The revenue of the custom events named in `names`, per name and currency (currencies in alphabetical order). */
@Injectable()
export class RevenueRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  /**
   * `names` undefined: every custom event of the range that carried revenue. Unfiltered: the daily
   * summaries (revenue_1d, migration 13) for the range's whole UTC days and the raw events for the
   * rest; under filters, the raw events the filters select.
   */
  async byEventName(site: string, names: readonly string[] | undefined, range: TimeRange, filters: readonly Filter[] = []): Promise<Map<string, RevenueSum[]>> {
    const found = new Map<string, RevenueSum[]>();
    if (names?.length === 0) return found;
    const listed = names ? 'name IN {names:Array(String)}' : '1';
    const raw = (where: string): string => `SELECT name, revenue_currency AS currency, sum(assumeNotNull(revenue_amount)) AS amount
              FROM ${this.db}.events_raw
              WHERE site = {site:String} AND type = 'event' AND NOT is_bot AND ${HAS_REVENUE} AND ${listed} AND ${where}
              GROUP BY name, currency`;
    const f = filterSql(filters, this.db);
    const whole = wholeUnits(range, DAY_MS);
    const daily = `SELECT name, currency, amount FROM ${this.db}.revenue_1d WHERE site = {site:String} AND ${listed}`;
    const parts = daysThenRaw(daily, raw, filters.length > 0 ? f.rows : undefined);
    const result = await this.clickhouse.query({
      query: `SELECT name, currency, toString(sum(amount)) AS amount
              FROM (${parts})
              GROUP BY name, currency
              ORDER BY name, currency`,
      query_params: { site, from: range.from, to: range.to, wholeFrom: whole.from, wholeTo: whole.to, ...(names ? { names } : {}), ...f.params },
      clickhouse_settings: FILTERED_READ_SETTINGS,
      format: 'JSONEachRow',
    });
    for (const r of await result.json<{ name: string; currency: string; amount: string }>()) {
      const list = found.get(r.name) ?? [];
      list.push({ currency: r.currency, amount: r.amount });
      found.set(r.name, list);
    }
    return found;
  }
}
