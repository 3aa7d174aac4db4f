import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '@clickstream/config';
import type { ClickHouseClient } from '@clickstream/clickhouse';
import { APP_CONFIG, CLICKHOUSE } from '@clickstream/platform';
import type { TimeRange } from '../history/history-params.js';
import { FILTERED_READ_SETTINGS, filterSql, type Filter } from '../history/filters.js';
import { HAS_REVENUE, REVENUE_COLUMNS, type RevenueSum } from '../history/revenue.repository.js';
import { FROM, TO } from '../history/sql-fragments.js';
import { goalCondition } from './goal-condition.js';
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
   * Each goal's conversions in the range, the distinct visitors who converted (exact, by their
   * visitor_key: a 128-bit hash, as uniqExact itself keeps of a text; migration 14), and an
   * event goal's revenue per currency; under filters, those in the sessions that hold a selected
   * event. Every goal is counted in one pass over the range (a pass each took as long apiece),
   * and the revenue of each event goal beside it.
   */
  async conversions(site: string, goals: readonly GoalTarget[], range: TimeRange, filters: readonly Filter[] = []): Promise<GoalFigures[]> {
    if (goals.length === 0) return [];
    const f = filterSql(filters, this.db);
    const conditions = goals.map((goal, i) => goalCondition(goal, `g${i}`));
    const params = { ...f.params, site, from: range.from, to: range.to, ...Object.assign({}, ...conditions.map((c) => c.params)) };
    const inRange = `site = {site:String} AND NOT is_bot
                AND event_time >= ${FROM} AND event_time < ${TO}
                AND ${f.inSelectedSessions}`;
    const counting = this.clickhouse
      .query({
        query: `SELECT ${conditions.map((_c, i) => `countIf(goal_${i}) AS conversions_${i}, uniqExactIf(visitor_key, goal_${i}) AS converters_${i}`).join(', ')}
                FROM (
                  SELECT visitor_key, ${conditions.map((c, i) => `${c.sql} AS goal_${i}`).join(', ')}
                  FROM ${this.db}.events_raw
                  WHERE ${inRange} AND (${conditions.map((c) => `(${c.sql})`).join(' OR ')})
                )`,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: FILTERED_READ_SETTINGS,
      })
      .then((result) => result.json<Record<string, number | string>>());
    // a page view carries no revenue: only an event goal's conversions are summed, per currency
    const revenues = conditions.map(async (c, i): Promise<RevenueSum[]> => {
      if ('page' in goals[i]!) return [];
      const result = await this.clickhouse.query({
        query: `SELECT ${REVENUE_COLUMNS} FROM ${this.db}.events_raw
                WHERE ${inRange} AND ${c.sql} AND ${HAS_REVENUE}
                GROUP BY currency ORDER BY currency`,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: FILTERED_READ_SETTINGS,
      });
      return (await result.json<RevenueSum>()).map((r) => ({ currency: r.currency, amount: r.amount }));
    });
    const [[row], revenue] = await Promise.all([counting, Promise.all(revenues)]);
    return goals.map((_g, i) => ({ conversions: Number(row?.[`conversions_${i}`] ?? 0), converters: Number(row?.[`converters_${i}`] ?? 0), revenue: revenue[i] ?? [] }));
  }
}

/** A goal's figures over a range. */
export interface GoalFigures {
  conversions: number;
  converters: number;
  revenue: RevenueSum[];
}
