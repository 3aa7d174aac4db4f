import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { SiteRepository, type ClickHouseClient } from '@clickstream/clickhouse';
import type { AppConfig } from '@clickstream/config';
import { APP_CONFIG, ApiError, CLICKHOUSE } from '@clickstream/platform';
import { AdminGuard, SiteAccessGuard } from '../auth/site-access.guard.js';
import { parseRange, parseSite } from '../history/history-params.js';
import { parseFilters } from '../history/filters.js';
import { HistoryService } from '../history/history.service.js';
import type { RevenueSum } from '../history/revenue.repository.js';
import { resolveGoalFilters } from './goal-filters.js';
import { parseGoal, type Goal } from './goal.js';
import { GoalsRepository } from './goals.repository.js';

export interface GoalConversions {
  goal: Goal;
  /** Page views or events that matched the goal in the range. */
  conversions: number;
  /** Distinct visitors who converted (exact). */
  converters: number;
  /** Converters in % of the range's visitors, 1 decimal; 0 without visitors. */
  conversionRate: number;
  /** The revenue the converting custom events carried, per currency (exact decimal text); empty for page goals. */
  revenue: RevenueSum[];
}

export interface ConversionsResponse {
  site: string;
  from: string;
  to: string;
  /** The range's visitors, as the totals count them. */
  visitors: number;
  goals: GoalConversions[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A site's goals: listed and their conversions read with the site's dashboard token, added and
 * removed with the admin token.
 */
@Controller('api/sites')
export class GoalsController {
  private readonly sites: SiteRepository;

  constructor(
    private readonly goals: GoalsRepository,
    private readonly history: HistoryService,
    @Inject(CLICKHOUSE) clickhouse: ClickHouseClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.sites = new SiteRepository(clickhouse, config.clickhouse.database);
  }

  @Get(':site/goals')
  @UseGuards(SiteAccessGuard)
  async list(@Param('site') site: string): Promise<{ site: string; goals: Goal[] }> {
    const parsed = parseSite(site);
    return { site: parsed, goals: await this.goals.list(parsed) };
  }

  @Post(':site/goals')
  @UseGuards(AdminGuard)
  @HttpCode(201)
  async add(@Param('site') site: string, @Body() body: unknown): Promise<Goal> {
    const parsed = parseSite(site);
    if (!(await this.sites.get(parsed))) throw ApiError.notFound(`no site ${parsed}`, 'site');
    const goal = parseGoal(body);
    if (!goal.ok) throw ApiError.badRequest('invalid_parameter', goal.detail, goal.field);
    return this.goals.add(parsed, goal.goal);
  }

  @Delete(':site/goals/:id')
  @UseGuards(AdminGuard)
  @HttpCode(204)
  async remove(@Param('site') site: string, @Param('id') id: string): Promise<void> {
    if (!(await this.goals.remove(parseSite(site), id))) throw ApiError.notFound(`no goal ${id} of site ${site}`, 'id');
  }

  @Get(':site/conversions')
  @UseGuards(SiteAccessGuard)
  async conversions(@Param('site') site: string, @Query() query: Record<string, unknown>): Promise<ConversionsResponse> {
    const parsed = parseSite(site);
    const range = parseRange(query['from'], query['to'], Date.now());
    const parsedFilters = parseFilters(query['filter']);
    // one read of the goals: the figures list them, and a goal filter looks its ids up in them
    const listed = this.goals.list(parsed);
    const filters = await resolveGoalFilters(parsedFilters, () => listed);
    const [goals, totals] = await Promise.all([listed, this.history.rollupTotals(parsed, range, filters)]);
    const figures = (await this.goals.conversions(parsed, goals, range, filters)).map((figures, i) => ({ goal: goals[i]!, ...figures }));
    return {
      site: parsed,
      from: iso(range.from),
      to: iso(range.to),
      visitors: totals.visitors,
      goals: figures.map((f) => ({ ...f, conversionRate: totals.visitors === 0 ? 0 : Math.round((f.converters / totals.visitors) * 1000) / 10 })),
    };
  }
}
