import type { GoalTarget } from '../goals/goal.js';

/**
 * The history API's filters as text, pure and free of server code so the dashboard bundles the
 * same reading and writing: `filter=<dimension><operator><values>`, repeated, all of them applied
 * (AND). Operators: `==` is (one of the values), `!=` is not (none of them), `~` contains (any of
 * them, letter case ignored), `!~` contains none of them, `*=` matches (any of them, `*`
 * standing for any run of characters, letter case significant), `!*=` matches none of them.
 * Values are separated by `|`; a `|` or a `\` inside a value is written `\|` or `\\`. A custom
 * event property is `prop.<name>`. A goal is `goal==<id>` (or `!=`), by the ids the goals API gives.
 */

export const FILTER_DIMENSIONS = [
  'page',
  'entryPage',
  'exitPage',
  'referrer',
  'utmSource',
  'utmMedium',
  'utmCampaign',
  'country',
  'browser',
  'os',
  'device',
  'event',
  'tag',
  'goal',
] as const;
export type FilterDimension = (typeof FILTER_DIMENSIONS)[number];

export const FILTER_OPERATORS = ['==', '!=', '~', '!~', '*=', '!*='] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** What each operator reads as, for messages and the dashboard's chips. */
export const OPERATOR_NAMES: Readonly<Record<FilterOperator, string>> = { '==': 'is', '!=': 'is not', '~': 'contains', '!~': 'does not contain', '*=': 'matches', '!*=': 'does not match' };

export const PROPERTY_PREFIX = 'prop.';
/** A property name as the collect API takes them. */
const PROPERTY_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export const MAX_FILTERS = 20;
export const MAX_FILTER_VALUES = 50;
export const MAX_FILTER_VALUE_LENGTH = 2048;

export interface Filter {
  /** One of FILTER_DIMENSIONS, or a property: `prop.<name>`. */
  dimension: FilterDimension | `prop.${string}`;
  operator: FilterOperator;
  /** 1 to MAX_FILTER_VALUES non-empty values. */
  values: string[];
  /** A goal filter's goals, one per value (its id), once the server has looked them up (resolveGoalFilters). */
  goals?: readonly GoalTarget[];
}

/** The operators a goal filter takes: its values are goal ids. */
const GOAL_OPERATORS: readonly FilterOperator[] = ['==', '!='];

export type FilterReading = { ok: true; filter: Filter } | { ok: false; reason: string };

const SHAPE = /^([A-Za-z]+|prop\.[^=!~*]*)(==|!=|!~|~|\*=|!\*=)([\s\S]*)$/;

/** Reads one `filter` value; a reason in words when it is not one. */
export function readFilter(text: string): FilterReading {
  const match = SHAPE.exec(text);
  if (!match) return { ok: false, reason: `expected <dimension><operator><value>, such as referrer==google.com, with an operator among ${FILTER_OPERATORS.join(' ')}` };
  const [, dimension, operator, rest] = match as unknown as [string, string, FilterOperator, string];
  if (dimension.startsWith(PROPERTY_PREFIX)) {
    if (!PROPERTY_NAME.test(dimension.slice(PROPERTY_PREFIX.length))) return { ok: false, reason: `"${dimension.slice(0, 80)}": a property name is 1-64 letters, digits, "_", ".", ":" or "-"` };
  } else if (!(FILTER_DIMENSIONS as readonly string[]).includes(dimension)) {
    return { ok: false, reason: `unknown dimension "${dimension.slice(0, 40)}": expected one of ${FILTER_DIMENSIONS.join(', ')} or prop.<name>` };
  }
  if (dimension === 'goal' && !GOAL_OPERATORS.includes(operator)) return { ok: false, reason: `goal takes ${GOAL_OPERATORS.join(' or ')} (its values are goal ids), not ${operator}` };
  const values = splitValues(rest);
  if (values.length > MAX_FILTER_VALUES) return { ok: false, reason: `${values.length} values, at most ${MAX_FILTER_VALUES}` };
  if (values.some((v) => v === '')) return { ok: false, reason: 'a value is empty' };
  if (values.some((v) => v.length > MAX_FILTER_VALUE_LENGTH)) return { ok: false, reason: `a value is longer than ${MAX_FILTER_VALUE_LENGTH} characters` };
  return { ok: true, filter: { dimension: dimension as Filter['dimension'], operator, values } };
}

/** The text `readFilter` reads back as the same filter. */
export function writeFilter(filter: Filter): string {
  return `${filter.dimension}${filter.operator}${filter.values.map((v) => v.replace(/[\\|]/g, (c) => `\\${c}`)).join('|')}`;
}

/** Values separated by unescaped `|`; `\|` and `\\` stand for `|` and `\`, any other `\` for itself. */
function splitValues(text: string): string[] {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === '|' || text[i + 1] === '\\')) {
      current += text[i + 1];
      i++;
    } else if (c === '|') {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  return values;
}
