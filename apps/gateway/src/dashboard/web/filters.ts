import { MAX_FILTERS, OPERATOR_NAMES, PROPERTY_PREFIX, readFilter, writeFilter, type Filter, type FilterDimension } from '../../history/filter-syntax.js';

/**
 * The dashboard's filters as data: read from the page's query, changed by a click on a row or a
 * chip, written back to the query and named for the chips. Pure (no DOM, no location), so the
 * spec beside it runs in Node. The text of each filter is the history API's (filter-syntax.ts).
 */

export type { Filter };

/** The query parameter the filters travel in, on the page's URL as on the API's. */
export const FILTER_PARAM = 'filter';

const DIMENSION_NAMES: Readonly<Record<FilterDimension, string>> = {
  page: 'Page',
  entryPage: 'Entry page',
  exitPage: 'Exit page',
  referrer: 'Referrer',
  utmSource: 'UTM source',
  utmMedium: 'UTM medium',
  utmCampaign: 'UTM campaign',
  country: 'Country',
  browser: 'Browser',
  os: 'OS',
  device: 'Device',
  event: 'Event',
  tag: 'Tag',
  goal: 'Goal',
};

/** How a stored value reads on the page (a country's name, a decoded path); the value itself by default. */
export type ShowValue = (dimension: Filter['dimension'], value: string) => string;

const asStored: ShowValue = (_dimension, value) => value;

/**
 * The filters of a query, in order. A text that is not a filter (a hand-edited or outdated link)
 * is left out rather than failing the page; a repeated one counts once; past MAX_FILTERS, which
 * the API refuses, the rest are left out.
 */
export function readFilters(params: URLSearchParams): Filter[] {
  const filters: Filter[] = [];
  const seen = new Set<string>();
  for (const text of params.getAll(FILTER_PARAM)) {
    const read = readFilter(text);
    if (!read.ok) continue;
    const key = writeFilter(read.filter);
    if (seen.has(key) || filters.length >= MAX_FILTERS) continue;
    seen.add(key);
    filters.push(read.filter);
  }
  return filters;
}

/**
 * `filters` with `filter` added. An "is" filter takes the place of the same dimension's "is"
 * filter (a click on another row changes the choice rather than asking for both, which no event
 * has); other filters on that dimension stay. Unchanged when already there or when full.
 */
export function withFilter(filters: readonly Filter[], filter: Filter): Filter[] {
  const text = writeFilter(filter);
  if (filters.some((f) => writeFilter(f) === text)) return [...filters];
  const replaced = filter.operator === '==' ? filters.findIndex((f) => f.dimension === filter.dimension && f.operator === '==') : -1;
  if (replaced >= 0) return filters.map((f, i) => (i === replaced ? filter : f));
  return filters.length >= MAX_FILTERS ? [...filters] : [...filters, filter];
}

/** `filters` without the one written `text` (as in a chip's data-filter). */
export function withoutFilter(filters: readonly Filter[], text: string): Filter[] {
  return filters.filter((f) => writeFilter(f) !== text);
}

/**
 * The "is" filter a click on a table row adds, or none when no filter can hold the value: the
 * API takes no empty value ("Direct / none"), and a property name must be one it accepts.
 */
export function rowFilter(dimension: Filter['dimension'], value: string): Filter | undefined {
  return checked({ dimension, operator: '==', values: [value] });
}

/**
 * The filters that select what a goal-like target counts, as a click on a funnel step's row adds
 * them (a goal's row adds the goal filter, `goal==<id>`). An event is its name, and its
 * property's value when it has one; a page its path, or its pattern when it has a `*` (the
 * "matches" operator, `*` standing for any run of characters as in goals). None when a value is
 * one no filter holds (an empty property value).
 */
export function goalFilters(goal: { page?: string; event?: string; property?: { key: string; value: string } }): Filter[] | undefined {
  const filters =
    goal.page !== undefined
      ? [goal.page.includes('*') ? checked({ dimension: 'page', operator: '*=', values: [goal.page] }) : rowFilter('page', goal.page)]
      : [rowFilter('event', goal.event ?? ''), ...(goal.property ? [rowFilter(`${PROPERTY_PREFIX}${goal.property.key}`, goal.property.value)] : [])];
  return filters.every((f): f is Filter => f !== undefined) ? filters : undefined;
}

/** The filter as the API reads it back, or none when it would refuse it. */
function checked(filter: Filter): Filter | undefined {
  const read = readFilter(writeFilter(filter));
  return read.ok ? read.filter : undefined;
}

export function dimensionName(dimension: Filter['dimension']): string {
  if (dimension.startsWith(PROPERTY_PREFIX)) return `Property ${dimension.slice(PROPERTY_PREFIX.length)}`;
  return DIMENSION_NAMES[dimension as FilterDimension] ?? dimension;
}

/** A filter in words, for its chip: "Referrer is google.com", "Property plan is pro", "Page is not /a or /b". */
export function filterLabel(filter: Filter, show: ShowValue = asStored): string {
  const values = filter.values.map((v) => show(filter.dimension, v)).join(' or ');
  return `${dimensionName(filter.dimension)} ${OPERATOR_NAMES[filter.operator]} ${values}`;
}

/** `params` with `filters` in place of its filters, the other parameters as they were. */
export function withFilterParams(params: URLSearchParams, filters: readonly Filter[]): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete(FILTER_PARAM);
  for (const filter of filters) next.append(FILTER_PARAM, writeFilter(filter));
  return next;
}

/**
 * A page query as text, its filters written as people read them (`filter=referrer==google.com`
 * rather than `referrer%3D%3Dgoogle.com`): the link is shared. `=`, `/` and `:` mean nothing past
 * a parameter's first `=`, so URLSearchParams reads the same filters back.
 */
export function pageQuery(params: URLSearchParams): string {
  const rest = new URLSearchParams(params);
  rest.delete(FILTER_PARAM);
  const readable = (text: string): string => encodeURIComponent(text).replace(/%3D/g, '=').replace(/%2F/g, '/').replace(/%3A/g, ':');
  const filters = params.getAll(FILTER_PARAM).map((text) => `${FILTER_PARAM}=${readable(text)}`);
  return [rest.toString(), ...filters].filter((part) => part !== '').join('&');
}
