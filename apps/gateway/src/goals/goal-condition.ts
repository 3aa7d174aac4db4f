import { customEventOf, likePattern, pageViewOf } from '../history/funnel-steps.js';
import type { GoalTarget } from './goal.js';

/**
 * The condition a raw event row meets when it converts the goal, with its parameters, named
 * `<prefix>t`, `<prefix>k` and `<prefix>v`: a page view of a matching path, or a custom event of
 * the name (with the property's value, when the goal names one). The goals' conversions and the
 * `goal` filter both select rows by it.
 */
export function goalCondition(goal: GoalTarget, prefix: string): { sql: string; params: Record<string, string> } {
  const target = `${prefix}t`;
  if ('page' in goal) return { sql: pageViewOf(target), params: { [target]: likePattern(goal.page) } };
  if (!goal.property) return { sql: customEventOf(target), params: { [target]: goal.event } };
  const [key, value] = [`${prefix}k`, `${prefix}v`];
  return {
    sql: `(${customEventOf(target)} AND props[{${key}:String}] = {${value}:String} AND mapContains(props, {${key}:String}))`,
    params: { [target]: goal.event, [key]: goal.property.key, [value]: goal.property.value },
  };
}
