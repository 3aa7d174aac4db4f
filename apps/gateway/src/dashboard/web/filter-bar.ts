import { writeFilter } from '../../history/filter-syntax.js';
import type { ActiveFilters } from './active-filters.js';
import { byId, el } from './dom.js';
import { filterLabel, type Filter, type ShowValue } from './filters.js';
import { breakdownLabel, regionNames } from './format.js';

/**
 * The active filters as chips above the cards ("Referrer is google.com ×"), with "Clear all"
 * from two on, and the notes that the live figures are not filtered: the server counts them for
 * all traffic, so none may pass for a filtered figure. Values are written as text (dom.ts).
 */
export class FilterBar {
  private readonly countries = regionNames();
  /** The site's goals by id, as the goals table reads them: a goal filter's chip names its goals. */
  private goals = new Map<string, string>();
  private readonly show: ShowValue = (dimension, value) => (dimension === 'goal' ? (this.goals.get(value) ?? value) : breakdownLabel(dimension, value, this.countries).label);

  constructor(private readonly filters: ActiveFilters) {}

  start(): void {
    byId('filters-clear').addEventListener('click', () => this.filters.clear());
    this.filters.onChange(() => this.render());
    this.render();
  }

  /** The goals' names, once the goals are read: the chips of goal filters show them instead of ids. */
  nameGoals(goals: readonly { id: string; label: string }[]): void {
    const next = new Map(goals.map((g) => [g.id, g.label]));
    const same = next.size === this.goals.size && [...next].every(([id, label]) => this.goals.get(id) === label);
    if (same) return; // each history refresh tells them again: no chip is redrawn for nothing
    this.goals = next;
    this.render();
  }

  private render(): void {
    const filters = this.filters.list();
    const list = byId('filter-chips');
    // a chip removed with the keyboard hands the focus to the one taking its place
    const focused = Array.from(list.children).findIndex((chip) => chip.contains(document.activeElement));
    list.replaceChildren(...filters.map((f) => this.chip(f)));
    if (focused >= 0) list.querySelectorAll<HTMLButtonElement>('button.filter-remove')[Math.min(focused, filters.length - 1)]?.focus();
    byId('filters').hidden = filters.length === 0;
    byId('filters-clear').hidden = filters.length < 2;
    byId('live-unfiltered').hidden = filters.length === 0;
    for (const tag of Array.from(document.querySelectorAll<HTMLElement>('.unfiltered-tag'))) tag.hidden = filters.length === 0;
    document.body.dataset['filtered'] = String(filters.length > 0);
  }

  private chip(filter: Filter): HTMLLIElement {
    const label = filterLabel(filter, this.show);
    const chip = el('li', 'filter-chip');
    chip.dataset['filter'] = writeFilter(filter);
    const remove = el('button', 'filter-remove', '×');
    remove.type = 'button';
    remove.setAttribute('aria-label', `Remove filter ${label}`);
    remove.title = 'Remove filter';
    remove.addEventListener('click', () => this.filters.remove(writeFilter(filter)));
    const text = el('span', 'filter-label', label);
    text.title = label; // the label is cut with an ellipsis when long
    chip.append(text, remove);
    return chip;
  }
}
