import { ActiveFilters } from './active-filters.js';
import { DashboardApi } from './api.js';
import { byId, setText } from './dom.js';
import { FilterBar } from './filter-bar.js';
import { snippetText } from './format.js';
import { ExploreView } from './explore-view.js';
import { HistoryView } from './history-view.js';
import { LiveView } from './live-view.js';
import { OpsView } from './ops-view.js';
import { forgetSite, knownSites, rememberSite, siteLink } from './site-store.js';

/**
 * The dashboard page, opened as `/?site=<id>&token=<dashboard token>` (the share link). The token
 * stays in the URL and goes with every call; sites opened here are remembered for the picker.
 */

/** localStorage, or a throw-away stand-in where storage is disabled. */
function storage(): Pick<Storage, 'getItem' | 'setItem'> {
  try {
    localStorage.getItem('');
    return localStorage;
  } catch {
    const memory = new Map<string, string>();
    return { getItem: (k) => memory.get(k) ?? null, setItem: (k, v) => void memory.set(k, v) };
  }
}

function renderPicker(sites: ReadonlyMap<string, string>, current: string): void {
  const select = byId<HTMLSelectElement>('site-picker');
  // new Option(text, ...) sets the text as text: a site id is never parsed as HTML
  const ids = [...new Set([...sites.keys(), current])].filter((s) => s !== '').sort((a, b) => a.localeCompare(b));
  const options = ids.map((s) => new Option(s, s, false, s === current));
  if (current === '') {
    const prompt = new Option(sites.size > 0 ? 'Choose a site' : 'No site yet', '', true, true);
    prompt.disabled = true;
    options.unshift(prompt);
  }
  select.replaceChildren(...options);
  select.disabled = options.length <= 1 && current !== '';
  select.addEventListener('change', () => {
    const token = sites.get(select.value);
    if (token) location.assign(siteLink(select.value, token));
  });
}

function showSnippet(ingestUrl: string, site: string): void {
  const text = snippetText(ingestUrl, site);
  setText('snippet', text);
  setText('site-name', site);
  const button = byId<HTMLButtonElement>('copy-snippet');
  button.addEventListener('click', () => {
    const done = (label: string): void => {
      button.textContent = label;
      setTimeout(() => (button.textContent = 'Copy'), 1_500);
    };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(() => done('Copied'), () => done('Select and copy'));
    else {
      // no Clipboard API outside secure contexts: select the text for the visitor to copy
      getSelection()?.selectAllChildren(byId('snippet'));
      done('Selected');
    }
  });
}

function idle(message: string, state: 'idle' | 'error'): void {
  byId('dashboard').hidden = true;
  byId('empty').hidden = false;
  const status = byId('status');
  status.dataset['state'] = state;
  status.textContent = message;
  document.body.dataset['connection'] = state;
}

function main(): void {
  const params = new URLSearchParams(location.search);
  const store = storage();
  const site = params.get('site')?.trim() ?? '';
  const sites = knownSites(store);
  // a link without its token still opens a site this browser already has the token of
  const token = params.get('token') || sites.get(site) || '';
  renderPicker(sites, site);
  if (site === '') return idle('Pick a site', 'idle');
  if (token === '') return idle('This link has no token', 'error');
  document.title = `${site} · Clickstream`;

  const filters = new ActiveFilters(params);
  const api = new DashboardApi(site, token, () => filters.list());
  let historyView: HistoryView | undefined;
  const live = new LiveView(site, token, {
    state: (state) => historyView?.onLiveState(state),
    // remembered once the server took the token, so a mistyped link never replaces a good one
    authorized: () => void rememberSite(store, site, token),
    unauthorized: () => void forgetSite(store, site, token),
  });
  const explore = new ExploreView(api, filters, () => historyView!.currentRange());
  const filterBar = new FilterBar(filters);
  historyView = new HistoryView(api, filters, params.get('range'), params.get('compare'), () => live.now(), (names) => explore.offerEvents(names), (goals) => filterBar.nameGoals(goals));
  showSnippet(document.body.dataset['ingestUrl'] ?? location.origin, site);
  filterBar.start();
  live.start();
  historyView.start();
  explore.start();
  new OpsView(api).start();
}

main();
