import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import type { TimeRange } from '../history/history-params.js';
import { FILTERED_READ_SETTINGS, filterSql, type Filter } from '../history/filters.js';
import { likePattern } from '../history/funnel-steps.js';
import { HAS_REVENUE, REVENUE_COLUMNS, type RevenueSum } from '../history/revenue.repository.js';
import type { Goal, GoalTarget } from './goal.js';

type GoalRow = { id: string; kind: string; target: string; prop_key: string; prop_value: string; created_at: string };

const toGoal = (r: GoalRow): Goal => {
  const createdAt = new Date(`${r.created_at.replace(' ', 'T')}Z`).toISOString();
  if (r.kind === 'page') return { id: r.id, page: r.target, createdAt };
  return { id: r.id, event: r.target, ...(r.prop_key ? { property: { key: r.prop_key, value: r.prop_value } } : {}), createdAt };
};

/**
 * Goals in ClickHouse (table `goals`, migration 10), and their conversions over the raw events:
 * a conversion is a page view of a matching path, or a custom event of the name (with the
 * property's value, when the goal names one); bots left out, as from every other figure.
 */
@Injectable()
export class GoalsRepository {
  private readonly db: string;

  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient, @Inject(APP_CONFIG) config: AppConfig) {
    this.db = config.clickhouse.database;
  }

  async list(site: string): Promise<Goal[]> {
    const result = await this.clickhouse.query({
      query: `SELECT id, kind, target, prop_key, prop_value, created_at FROM ${this.db}.goals FINAL
              WHERE site = {site:String} AND deleted = 0 ORDER BY created_at, id`,
      query_params: { site },
      format: 'JSONEachRow',
    });
    return (await result.json<GoalRow>()).map(toGoal);
  }

  async add(site: string, target: GoalTarget): Promise<Goal> {
    const id = randomBytes(6).toString('base64url');
    const now = Date.now();
    const row = {
      site,
      id,
      kind: 'page' in target ? 'page' : 'event',
      target: 'page' in target ? target.page : target.event,
      prop_key: 'event' in target ? (target.property?.key ?? '') : '',
      prop_value: 'event' in target ? (target.property?.value ?? '') : '',
      created_at: now,
      deleted: 0,
      version: now,
    };
    await this.clickhouse.insert({ table: `${this.db}.goals`, values: [row], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    return { ...target, id, createdAt: new Date(now).toISOString() };
  }

  /** Marks a goal removed; false when the site has no such goal. */
  async remove(site: string, id: string): Promise<boolean> {
    const goal = (await this.list(site)).find((g) => g.id === id);
    if (!goal) return false;
    const version = Date.now();
    await this.clickhouse.insert({
      table: `${this.db}.goals`,
      values: [{ site, id, kind: '', target: '', prop_key: '', prop_value: '', created_at: Date.parse(goal.createdAt), deleted: 1, version }],
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    return true;
  }

  /**
   * Conversions of one goal in the range, the distinct visitors who converted (exact), and an
   * event goal's revenue per currency; under filters, those in the sessions that hold a selected event.
   */
  async conversions(site: string, goal: GoalTarget, range: TimeRange, filters: readonly Filter[] = []): Promise<{ conversions: number; converters: number; revenue: RevenueSum[] }> {
    const f = filterSql(filters, this.db);
    const condition =
      'page' in goal
        ? `type = 'pageview' AND path LIKE {target:String}`
        : `type = 'event' AND name = {target:String}${goal.property ? ' AND props[{key:String}] = {value:String} AND mapContains(props, {key:String})' : ''}`;
    const params = {
      ...f.params,
      site,
      from: range.from,
      to: range.to,
      target: 'page' in goal ? likePattern(goal.page) : goal.event,
      ...('event' in goal && goal.property ? { key: goal.property.key, value: goal.property.value } : {}),
    };
    const result = await this.clickhouse.query({
      query: `SELECT count() AS conversions, uniqExact(visitor_id) AS converters FROM ${this.db}.events_raw
              WHERE site = {site:String} AND NOT is_bot AND ${condition}
                AND event_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND event_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                AND ${f.inSelectedSessions}`,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: FILTERED_READ_SETTINGS,
    });
    const [row] = await result.json<{ conversions: number | string; converters: number | string }>();
    // a page view carries no revenue: only an event goal's conversions are summed, per currency
    const revenue =
      'page' in goal
        ? []
        : await (
            await this.clickhouse.query({
              query: `SELECT ${REVENUE_COLUMNS} FROM ${this.db}.events_raw
                      WHERE site = {site:String} AND NOT is_bot AND ${condition} AND ${HAS_REVENUE}
                        AND event_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND event_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                        AND ${f.inSelectedSessions}
                      GROUP BY currency ORDER BY currency`,
              query_params: params,
              format: 'JSONEachRow',
              clickhouse_settings: FILTERED_READ_SETTINGS,
            })
          ).json<RevenueSum>();
    return { conversions: Number(row?.conversions ?? 0), converters: Number(row?.converters ?? 0), revenue: revenue.map((r) => ({ currency: r.currency, amount: r.amount })) };
  }
}
