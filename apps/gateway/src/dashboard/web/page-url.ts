import { pageQuery } from './filters.js';

/**
 * Writes the view's state (range, comparison, filters) into the page's query in place, so a link
 * or a reload opens the same view; replaceState, so Back leaves the dashboard rather than
 * stepping through every click.
 */
export function replacePageQuery(params: URLSearchParams): void {
  const query = pageQuery(params);
  history.replaceState(null, '', `${location.pathname}${query === '' ? '' : `?${query}`}${location.hash}`);
}
