import { writeFilter } from '../../history/filter-syntax.js';
import { readFilters, withFilter, withFilterParams, withoutFilter, type Filter } from './filters.js';
import { replacePageQuery } from './page-url.js';

/**
 * The filters in force, kept in the page's URL (repeated `filter` parameters) so a link or a
 * reload keeps them. Every change is written there first, then told to the views.
 */
export class ActiveFilters {
  private filters: Filter[];
  private readonly listeners: (() => void)[] = [];

  /** Read from the page's query; a filter it cannot read is left out (see readFilters). */
  constructor(params: URLSearchParams) {
    this.filters = readFilters(params);
  }

  list(): readonly Filter[] {
    return this.filters;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  add(...filters: Filter[]): void {
    this.set(filters.reduce((next, filter) => withFilter(next, filter), this.filters));
  }

  /** Removes the filter written `text` (a chip's data-filter). */
  remove(text: string): void {
    this.set(withoutFilter(this.filters, text));
  }

  clear(): void {
    this.set([]);
  }

  private set(next: Filter[]): void {
    const key = (filters: readonly Filter[]): string => JSON.stringify(filters.map(writeFilter));
    if (key(next) === key(this.filters)) return;
    this.filters = next;
    replacePageQuery(withFilterParams(new URLSearchParams(location.search), next));
    for (const listener of this.listeners) listener();
  }
}
