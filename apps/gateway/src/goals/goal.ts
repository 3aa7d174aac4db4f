import { z } from 'zod';
import { EVENT_NAME_MAX, PROPERTY_KEY, PROPERTY_VALUE_MAX } from '@clickstream/events';

/**
 * A goal of a site: a page (its path, `*` matching any run of characters) or a custom event by
 * name, optionally only when one of its properties has a given value.
 */
export type GoalTarget = { page: string } | { event: string; property?: { key: string; value: string } };
export type Goal = GoalTarget & { id: string; createdAt: string };

const page = z.string({ error: 'expected a path starting with "/"' }).max(2048, { error: 'longer than 2048 characters' }).regex(/^\//, { error: 'expected a path starting with "/"' });
const event = z.string({ error: 'expected a custom event name' }).min(1, { error: 'must not be empty' }).max(EVENT_NAME_MAX, { error: `longer than ${EVENT_NAME_MAX} characters` });
const property = z.strictObject(
  {
    key: z.string({ error: 'expected a property name' }).regex(PROPERTY_KEY, { error: 'property names are 1-64 letters, digits, "_", ".", ":" or "-"' }),
    value: z.string({ error: 'expected the value as text' }).max(PROPERTY_VALUE_MAX, { error: `longer than ${PROPERTY_VALUE_MAX} characters` }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field' : 'expected { key, value }') },
);

const goalBody = z.union([z.strictObject({ page }), z.strictObject({ event, property: property.optional() })]);

/** The body of a new goal, or the field that is wrong and why. */
export function parseGoal(body: unknown): { ok: true; goal: GoalTarget } | { ok: false; field: string; detail: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, field: 'body', detail: 'expected { page } or { event, property? }' };
  const keys = Object.keys(body);
  if (keys.includes('page') && keys.includes('event')) return { ok: false, field: 'page', detail: 'a goal is a page or an event, not both' };
  if (!keys.includes('page') && !keys.includes('event')) return { ok: false, field: 'page', detail: 'expected { page } or { event, property? }' };
  if (keys.includes('page') && keys.includes('property')) return { ok: false, field: 'property', detail: 'only an event goal has a property' };
  const parsed = goalBody.safeParse(body);
  if (parsed.success) return { ok: true, goal: parsed.data };
  // the union reports each branch; the branch of the key the body has names the field
  const branch = keys.includes('page') ? z.strictObject({ page }) : z.strictObject({ event, property: property.optional() });
  const issue = branch.safeParse(body).error?.issues[0];
  return { ok: false, field: issue ? issue.path.join('.') || 'body' : 'body', detail: issue?.message ?? 'invalid' };
}

/** How a goal reads: "page /thanks", "event signup (plan = pro)". */
export function describeGoal(goal: GoalTarget): string {
  if ('page' in goal) return `page ${goal.page}`;
  return goal.property ? `event ${goal.event} (${goal.property.key} = ${goal.property.value})` : `event ${goal.event}`;
}
