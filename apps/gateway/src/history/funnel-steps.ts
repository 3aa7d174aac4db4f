import { EVENT_NAME_MAX } from '@clickstream/events';
import { ApiError } from '@clickstream/platform';
import { readFunnelStep, type FunnelStep } from './funnel-step-syntax.js';

export type { FunnelStep } from './funnel-step-syntax.js';

export const MIN_STEPS = 2;
export const MAX_STEPS = 8;
const MAX_PATH = 2048;

const invalid = (detail: string): ApiError => ApiError.badRequest('invalid_parameter', detail, 'step');

/**
 * Funnel steps as the history API takes them: `step` given 2 to 8 times, in order, each
 * `page:<path>` or `event:<name>` (funnel-step-syntax.ts). Pure, so the parsing and the SQL it
 * yields are tested without a server.
 */
export function parseFunnelSteps(value: unknown): FunnelStep[] {
  const texts = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (texts.length < MIN_STEPS || texts.length > MAX_STEPS) throw invalid(`expected ${MIN_STEPS} to ${MAX_STEPS} steps (step=page:/path or step=event:name, in order), got ${texts.length}`);
  return texts.map((text, i) => {
    if (typeof text !== 'string') throw invalid(`step ${i + 1}: expected text`);
    const step = readFunnelStep(text);
    if (step?.kind === 'page' && (!step.path.startsWith('/') || step.path.length > MAX_PATH)) {
      throw invalid(`step ${i + 1}: a page is a path starting with "/", at most ${MAX_PATH} characters`);
    }
    if (step?.kind === 'event' && (step.name.length === 0 || step.name.length > EVENT_NAME_MAX)) {
      throw invalid(`step ${i + 1}: an event name is 1 to ${EVENT_NAME_MAX} characters`);
    }
    if (step) return step;
    throw invalid(`step ${i + 1}: expected page:<path> or event:<name>, got "${text.slice(0, 40)}"`);
  });
}

/** A path with `*` wildcards as a LIKE pattern: `%`, `_` and `\` of the path itself match only themselves. */
export function likePattern(path: string): string {
  return path.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

/** A raw event row that is a page view whose path matches the LIKE pattern in parameter `param`. */
export const pageViewOf = (param: string): string => `(type = 'pageview' AND path LIKE {${param}:String})`;

/** A raw event row that is a custom event named by parameter `param`. */
export const customEventOf = (param: string): string => `(type = 'event' AND name = {${param}:String})`;

/**
 * The condition of each step over a raw event row, and its parameters: the SQL is fixed text
 * naming parameters (step0, step1...), the user's paths and names travel only as their values.
 */
export function stepConditions(steps: readonly FunnelStep[]): { conditions: string[]; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const conditions = steps.map((step, i) => {
    const param = `step${i}`;
    if (step.kind === 'event') {
      params[param] = step.name;
      return customEventOf(param);
    }
    params[param] = likePattern(step.path);
    return pageViewOf(param);
  });
  return { conditions, params };
}

/** No step reached: larger than any event's instant. */
const NEVER = '18446744073709551615';

/**
 * The SQL of how far one session got, over the session's events given as `events`: an
 * Array(UInt64) of `(epoch ms << 8) | mask`, the mask's bit i set when the event matches step i
 * (see `stepMask`). Step 1 is reached at the session's earliest event of step 1, and each next
 * step at the earliest event of that step strictly later than the step before: taking the
 * earliest each time leaves the most room for the steps after, so no other choice reaches
 * further, and one event never fills two steps. Events of no step in between are allowed.
 *
 * Not ClickHouse's windowFunnel: in 'strict_increase' mode it lets an event matching two steps
 * overwrite the earlier step it matched (ClickHouse issue 52844), so '/' then '/pricing' under
 * the steps '/*', '/pricing' reached 1 step instead of 2.
 */
export function furthestStepSql(stepCount: number, events: string): string {
  const at = Array.from({ length: stepCount }, (_s, i) => {
    const after = i === 0 ? '' : ` AND bitShiftRight(x, 8) > ${atStep(i - 1)}`;
    return `arrayMin(x -> if(bitTest(x, ${i})${after}, bitShiftRight(x, 8), ${NEVER}), ${events}) AS ${atStep(i)}`;
  });
  const reached = Array.from({ length: stepCount }, (_s, i) => `(${atStep(i)} != ${NEVER})`).join(' + ');
  return `${at.join(',\n')},\n${reached}`;
}

const atStep = (i: number): string => `step_at_${i}`;

/** An event row's steps as a bit mask (bit i: it matches step i), from the conditions of `stepConditions`. */
export function stepMask(conditions: readonly string[]): string {
  return conditions.map((c, i) => `bitShiftLeft(toUInt8(${c}), ${i})`).join(' + ');
}
