import { ApiError } from '@clickstream/platform';
import { writeFilter, type Filter } from '../history/filter-syntax.js';
import type { Goal } from './goal.js';

/**
 * The filters with each `goal` filter's goals looked up by id (`goalsOf` reads the site's goals,
 * once, and only when a goal filter is there), so filterSql can select the rows converting them.
 * An id the site has no goal of is a 400 naming `filter`, never a filter that selects nothing.
 */
export async function resolveGoalFilters(filters: readonly Filter[], goalsOf: () => Promise<Goal[]>): Promise<Filter[]> {
  if (!filters.some((f) => f.dimension === 'goal')) return [...filters];
  const goals = new Map((await goalsOf()).map((g) => [g.id, g]));
  return filters.map((filter) => {
    if (filter.dimension !== 'goal') return filter;
    const found = filter.values.map((id) => {
      const goal = goals.get(id);
      if (!goal) throw ApiError.badRequest('invalid_parameter', `filter "${writeFilter(filter).slice(0, 80)}": the site has no goal "${id.slice(0, 40)}" (GET /api/sites/<site>/goals lists them)`, 'filter');
      return goal;
    });
    return { ...filter, goals: found };
  });
}
