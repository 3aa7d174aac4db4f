/**
 * The only ways the dashboard writes to the page. Everything that may come from a tracked page
 * (paths, referrers, titles, event names, site ids) goes through textContent or a text node;
 * nothing here parses HTML, so a value is shown as the characters it is and can never run.
 */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`dashboard page lacks #${id}`);
  return el as T;
}

export function setText(id: string, text: string): void {
  const el = byId(id);
  if (el.textContent !== text) el.textContent = text;
}

/** An element with a class and text content. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export interface TableRow {
  /** Shown as text, whatever characters it holds. */
  label: string;
  /** The raw value, kept for the tooltip when the label is a rendering of it (country names). */
  title?: string;
  /** Marks a stand-in label such as "Direct / none". */
  placeholder?: boolean;
  count: string;
  /** More figures of the row, shown after its count (a page's engagement, an event's revenue); text. */
  extra?: { text: string; title: string };
  /** Share of the table's largest count, 0..1, drawn as a bar behind the row. */
  share: number;
  /** What a click on the row does (filter by its value); a row without one is plain text. */
  action?: RowAction;
}

export interface RowAction {
  /** The row's tooltip and its button's description: "Filter by Referrer is google.com". */
  title: string;
  run(): void;
}

/**
 * Replaces the body of a top-N table. The bar is a CSS custom property set through the CSSOM,
 * which the page's CSP (no inline styles) allows. A row with an action is clickable as a whole,
 * and its value is a button, so it is reached with Tab and run with Enter or Space.
 */
export function renderRows(tbody: HTMLTableSectionElement, rows: readonly TableRow[], empty: string): void {
  // tables are redrawn on every refresh (every 2 s under traffic): a row's button that had the
  // focus hands it to the button in its place, or keyboard users would be thrown out each time
  const focused = Array.from(tbody.children).findIndex((tr) => tr.contains(document.activeElement));
  const fragment = document.createDocumentFragment();
  if (rows.length === 0) {
    const tr = el('tr', 'empty');
    const td = el('td', undefined, empty);
    td.colSpan = 2;
    tr.append(td);
    fragment.append(tr);
  }
  for (const row of rows) {
    const tr = el('tr');
    const value = el('td', row.placeholder ? 'value placeholder' : 'value');
    if (row.action) {
      // the stored value joins the tooltip: the cell's own title would hide the row's over the value
      const title = row.title === undefined ? row.action.title : `${row.action.title} (${row.title})`;
      const button = el('button', 'row-filter', row.label);
      button.type = 'button';
      button.title = title;
      tr.title = title;
      tr.className = 'filterable';
      // the button's click (mouse, Enter, Space) bubbles here: one handler for the whole row
      const action = row.action;
      tr.addEventListener('click', () => action.run());
      value.append(button);
    } else {
      value.textContent = row.label;
      if (row.title !== undefined) value.title = row.title;
    }
    value.style.setProperty('--share', `${Math.max(0, Math.min(1, row.share)) * 100}%`);
    const count = el('td', 'count', row.count);
    if (row.extra) {
      const extra = el('span', 'extra', ` · ${row.extra.text}`);
      extra.title = row.extra.title;
      count.append(extra);
    }
    tr.append(value, count);
    fragment.append(tr);
  }
  tbody.replaceChildren(fragment);
  if (focused >= 0) {
    const buttons = tbody.querySelectorAll<HTMLButtonElement>('button.row-filter');
    buttons[Math.min(focused, buttons.length - 1)]?.focus({ preventScroll: true });
  }
}
