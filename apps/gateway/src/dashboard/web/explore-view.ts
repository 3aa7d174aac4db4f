import { PROPERTY_PREFIX } from '../../history/filter-syntax.js';
import { readFunnelStep } from '../../history/funnel-step-syntax.js';
import type { ActiveFilters } from './active-filters.js';
import type { DashboardApi } from './api.js';
import { byId, el, renderRows, type TableRow } from './dom.js';
import { filterLabel, goalFilters, rowFilter } from './filters.js';
import { DASH, formatCount } from './format.js';

/** The range the history half shows, read when a question is asked. */
export type CurrentRange = () => { from: number; to: number };

/**
 * Questions asked on demand, for the range shown: a funnel of ordered steps typed one per line
 * (page:/path or event:name), and the properties of a custom event (its names, then one's
 * values). Every value is written as text (dom.ts), whatever a tracked page put in it. Answers
 * follow the active filters and are asked again when they change; a click on a property's value
 * adds the filter `prop.<name>==<value>`.
 */
export class ExploreView {
  /** Each question's latest asking: an answer overtaken by a newer asking (new filters) is dropped. */
  private readonly asked = { funnel: 0, keys: 0, values: 0 };
  private funnelShown = false;

  constructor(
    private readonly api: DashboardApi,
    private readonly filters: ActiveFilters,
    private readonly range: CurrentRange,
  ) {}

  start(): void {
    byId('funnel-form').addEventListener('submit', (e) => {
      e.preventDefault();
      void this.showFunnel();
    });
    byId('props-event').addEventListener('change', () => void this.showKeys(false));
    byId('props-key').addEventListener('change', () => void this.showValues());
    this.filters.onChange(() => {
      if (this.funnelShown) void this.showFunnel();
      if (byId<HTMLSelectElement>('props-event').value) void this.showKeys(true);
    });
  }

  /** The custom event names of the range, offered in the properties picker (the history half calls it on each refresh). */
  offerEvents(names: readonly string[]): void {
    const select = byId<HTMLSelectElement>('props-event');
    const chosen = select.value;
    const options = [el('option', undefined, 'Pick a custom event')];
    options[0]!.value = '';
    for (const name of names) {
      const option = el('option', undefined, name);
      option.value = name;
      options.push(option);
    }
    const same = select.options.length === options.length && names.every((n, i) => select.options[i + 1]?.value === n);
    if (same) return;
    select.replaceChildren(...options);
    select.value = names.includes(chosen) ? chosen : '';
  }

  private async showFunnel(): Promise<void> {
    const steps = byId<HTMLTextAreaElement>('funnel-steps')
      .value.split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    const { from, to } = this.range();
    const asked = ++this.asked.funnel;
    this.funnelShown = true;
    const res = await this.api.funnel(steps, from, to);
    if (asked !== this.asked.funnel) return;
    const message = byId('funnel-message');
    const body = byId<HTMLTableElement>('funnel').tBodies[0]!;
    if (!res.ok) {
      message.textContent = res.detail;
      renderRows(body, [], DASH);
      return;
    }
    message.textContent = '';
    const first = Math.max(1, res.data.steps[0]?.visitors ?? 0);
    const rows = res.data.steps.map((s): TableRow => {
      // a step filters the page by what it counts, as a goal does: its page (or pattern), or its event
      const step = readFunnelStep(s.step);
      const filters = step && goalFilters(step.kind === 'page' ? { page: step.path } : { event: step.name });
      const action = filters && { title: `Filter by ${filters.map((f) => filterLabel(f)).join(' and ')}`, run: () => this.filters.add(...filters) };
      return { label: s.step, count: `${formatCount(s.visitors)} · ${s.conversionFromFirst}%`, share: s.visitors / first, ...(action ? { action } : {}) };
    });
    renderRows(body, rows, 'No visitors');
  }

  /**
   * The chosen event's property names, then the chosen name's values. `keepKey` (the filters
   * changed): the chosen name stays, and its values are asked again, while it is still there.
   */
  private async showKeys(keepKey: boolean): Promise<void> {
    const event = byId<HTMLSelectElement>('props-event').value;
    const keys = byId<HTMLSelectElement>('props-key');
    const chosen = keepKey ? keys.value : '';
    const asked = ++this.asked.keys;
    const first = el('option', undefined, event ? 'Pick a property' : '–');
    first.value = '';
    if (!keepKey) {
      keys.replaceChildren(first);
      await this.showValues();
    }
    if (!event) return;
    const { from, to } = this.range();
    const res = await this.api.properties(event, undefined, from, to);
    if (asked !== this.asked.keys) return;
    const options = [first];
    for (const k of res.ok ? (res.data.keys ?? []) : []) {
      const option = el('option', undefined, `${k.key} (${formatCount(k.count)})`);
      option.value = k.key;
      options.push(option);
    }
    keys.replaceChildren(...options);
    keys.value = options.some((o) => o.value === chosen) ? chosen : '';
    if (keepKey) await this.showValues();
  }

  private async showValues(): Promise<void> {
    const event = byId<HTMLSelectElement>('props-event').value;
    const key = byId<HTMLSelectElement>('props-key').value;
    const body = byId<HTMLTableElement>('props-values').tBodies[0]!;
    const asked = ++this.asked.values;
    if (!event || !key) return renderRows(body, [], DASH);
    const { from, to } = this.range();
    const res = await this.api.properties(event, key, from, to);
    if (asked !== this.asked.values) return;
    if (!res.ok) return renderRows(body, [], DASH);
    const max = Math.max(1, ...(res.data.rows ?? []).map((r) => r.count));
    renderRows(
      body,
      (res.data.rows ?? []).map((r): TableRow => {
        const filter = rowFilter(`${PROPERTY_PREFIX}${key}`, r.value);
        const action = filter && { title: `Filter by ${filterLabel(filter)}`, run: () => this.filters.add(filter) };
        return { label: r.value, count: formatCount(r.count), share: r.count / max, ...(action ? { action } : {}) };
      }),
      'No values',
    );
  }
}
