const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** A favicon inline (img-src allows data:), so the browser does not ask the gateway for one. */
const ICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#4f46e5"/><path d="M3 11l3-4 3 2 4-5" stroke="#fff" stroke-width="2" fill="none"/></svg>')}`;

export interface DashboardPageAssets {
  /** Where the snippet loads the tracker from (PUBLIC_INGEST_URL or the ingest app's address). */
  ingestUrl: string;
  scriptUrl: string;
  styleUrl: string;
}

/** One top-N table: its element id, the breakdown dimension it shows and its heading. */
export const DASHBOARD_TABLES = [
  { id: 'top-pages', dimension: 'page', title: 'Top pages', column: 'Page' },
  { id: 'top-referrers', dimension: 'referrer', title: 'Referrers', column: 'Source' },
  { id: 'top-entry-pages', dimension: 'entryPage', title: 'Entry pages', column: 'Page', unit: 'Sessions' },
  { id: 'top-exit-pages', dimension: 'exitPage', title: 'Exit pages', column: 'Page', unit: 'Sessions' },
  { id: 'top-utm-sources', dimension: 'utmSource', title: 'Campaign sources', column: 'Source' },
  { id: 'top-events', dimension: 'event', title: 'Custom events', column: 'Event', unit: 'Events' },
  {
    id: 'top-countries',
    dimension: 'country',
    title: 'Countries',
    column: 'Country',
    // the attribution the bundled country database's licence asks for (CC BY 4.0)
    note: 'Country data: <a href="https://www.nro.net/" rel="noopener noreferrer" target="_blank">NRO</a>, <a href="https://creativecommons.org/licenses/by/4.0/" rel="noopener noreferrer" target="_blank">CC BY 4.0</a>',
  },
  { id: 'top-devices', dimension: 'device', title: 'Devices', column: 'Device' },
  { id: 'top-browsers', dimension: 'browser', title: 'Browsers', column: 'Browser' },
  { id: 'top-os', dimension: 'os', title: 'Operating systems', column: 'OS' },
] as const;

const table = (t: (typeof DASHBOARD_TABLES)[number]): string => `
    <section class="panel table-panel" aria-labelledby="${t.id}-title">
      <div class="panel-head"><h2 id="${t.id}-title">${t.title}</h2><a class="csv" id="${t.id}-csv" data-csv-for="${t.id}" download>CSV</a></div>
      <table id="${t.id}" data-dimension="${t.dimension}">
        <thead><tr><th scope="col">${t.column}</th><th scope="col" class="count">${'unit' in t ? t.unit : 'Views'}</th></tr></thead>
        <tbody><tr class="empty"><td colspan="2">–</td></tr></tbody>
      </table>${'note' in t ? `
      <p class="table-note">${t.note}</p>` : ''}
    </section>`;

/**
 * The dashboard's HTML shell: static markup, no inline script or style (the CSP allows only
 * same-origin files). dist/dashboard/dashboard.js fills it in; values from tracked pages are
 * only ever written as text there. The ingest URL reaches the script as a data attribute.
 */
export function dashboardPage({ ingestUrl, scriptUrl, styleUrl }: DashboardPageAssets): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Clickstream</title>
<link rel="icon" href="${ICON}">
<link rel="stylesheet" href="${escapeHtml(styleUrl)}">
<script defer src="${escapeHtml(scriptUrl)}"></script>
</head>
<body data-ingest-url="${escapeHtml(ingestUrl)}" data-connection="connecting">
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true"></span>Clickstream</div>
  <label class="picker"><span class="sr-only">Site</span><select id="site-picker" aria-label="Site"></select></label>
  <div class="now" id="live-visitors-box" title="Visitors in the last 5 minutes">
    <span class="now-figure" id="live-visitors">–</span><span class="now-label">visitors now</span><span class="unfiltered-tag" hidden>all traffic</span>
  </div>
  <span id="status" data-state="connecting" role="status" aria-live="polite">Connecting…</span>
</header>
<main id="main">
  <section id="empty" class="panel notice" hidden>
    <h2>No site selected</h2>
    <p>Open a dashboard link: it names the site and carries its token, like <code>/?site=demo&amp;token=…</code>. Sites opened in this browser are offered in the menu above.</p>
  </section>
  <div id="dashboard" class="dashboard">
    <section id="filters" class="filters" aria-label="Filters" hidden>
      <span class="filters-title">Filtered by</span>
      <ul id="filter-chips" class="filter-chips"></ul>
      <button type="button" id="filters-clear" class="ghost" hidden>Clear all</button>
    </section>
    <p id="live-unfiltered" class="live-unfiltered" role="note" hidden>Live figures: all traffic, filters not applied</p>
    <p id="history-error" class="history-error" role="alert" hidden></p>
    <section class="cards" aria-label="Live figures">
      <div class="card live-figure"><div class="label">Page views today <span class="hint">(UTC)</span></div><div class="figure" id="today">–</div></div>
      <div class="card live-figure"><div class="label">Last 60 seconds</div><div class="figure" id="minute">–</div></div>
      <div class="card live-figure"><div class="label">Visitors now</div><div class="figure" id="visitors-now">–</div><div class="sub"><span id="visitors-30m">–</span> in the last 30 min</div></div>
    </section>
    <div class="charts">
      <section class="panel live-figure seconds-panel" aria-labelledby="seconds-title">
        <h2 id="seconds-title">Page views per second <span class="hint">last minute, live</span> <span class="unfiltered-tag" hidden>all traffic</span></h2>
        <div id="seconds-chart" class="chart fill" role="img" aria-label="Page views per second over the last minute"></div>
      </section>
      <section class="panel" aria-labelledby="range-title">
        <div class="panel-head">
          <h2 id="range-title">Traffic</h2>
          <a class="csv" id="range-csv" download>CSV</a>
          <div class="ranges" id="range-picker" role="group" aria-label="Time range">
            <button type="button" data-range="30m">30 min</button><button type="button" data-range="today">Today</button><button type="button" data-range="7d">7 days</button><button type="button" data-range="30d">30 days</button>
          </div>
          <label class="compare"><span class="sr-only">Compare with</span><select id="compare-picker" aria-label="Compare with">
            <option value="">No comparison</option><option value="previous">vs previous period</option><option value="year">vs year before</option>
          </select></label>
        </div>
        <dl class="totals">
          <div><dt>Page views</dt><dd id="total-pageviews">–</dd><dd class="change" id="change-pageviews" hidden></dd></div>
          <div><dt>Visitors</dt><dd id="total-visitors">–</dd><dd class="change" id="change-visitors" hidden></dd></div>
          <div><dt>Sessions</dt><dd id="total-sessions">–</dd><dd class="change" id="change-sessions" hidden></dd></div>
          <div><dt>Bounce rate</dt><dd id="total-bounce">–</dd><dd class="change" id="change-bounce" hidden></dd></div>
          <div><dt>Avg. visit</dt><dd id="total-duration">–</dd><dd class="change" id="change-duration" hidden></dd></div>
        </dl>
        <p class="bots" id="bots-note" hidden>Bot hits in this range, not counted above: <span id="total-bots">0</span></p>
        <div id="range-chart" class="chart" role="img" aria-label="Page views and visitors over the chosen range"></div>
      </section>
    </div>
    <div class="tables">${DASHBOARD_TABLES.map(table).join('')}
    </div>
    <div class="tables">
      <section class="panel table-panel" aria-labelledby="goals-title">
        <h2 id="goals-title">Goals <span class="hint">conversions · rate of visitors</span></h2>
        <table id="goals"><thead><tr><th scope="col">Goal</th><th scope="col" class="count">Conversions</th></tr></thead><tbody><tr class="empty"><td colspan="2">–</td></tr></tbody></table>
        <p class="table-note">Add goals with <code>clickstream goals add</code> or the goals API (admin token).</p>
      </section>
      <section class="panel table-panel" aria-labelledby="funnel-title">
        <h2 id="funnel-title">Funnel <span class="hint">visitors through ordered steps in one visit</span></h2>
        <form id="funnel-form" class="explore-form">
          <label for="funnel-steps" class="sr-only">Steps, one per line</label>
          <textarea id="funnel-steps" rows="3" spellcheck="false" placeholder="page:/&#10;page:/pricing&#10;event:signup"></textarea>
          <button type="submit" class="ghost">Show</button>
        </form>
        <p class="table-note" id="funnel-message" role="status"></p>
        <table id="funnel"><thead><tr><th scope="col">Step</th><th scope="col" class="count">Visitors</th></tr></thead><tbody><tr class="empty"><td colspan="2">–</td></tr></tbody></table>
      </section>
      <section class="panel table-panel" aria-labelledby="props-title">
        <h2 id="props-title">Event properties</h2>
        <div class="explore-form">
          <select id="props-event" aria-label="Custom event"><option value="">Pick a custom event</option></select>
          <select id="props-key" aria-label="Property"><option value="">–</option></select>
        </div>
        <table id="props-values"><thead><tr><th scope="col">Value</th><th scope="col" class="count">Events</th></tr></thead><tbody><tr class="empty"><td colspan="2">–</td></tr></tbody></table>
      </section>
    </div>
    <section class="panel" aria-labelledby="snippet-title">
      <div class="panel-head">
        <h2 id="snippet-title">Snippet <span class="hint">paste into every page of <span id="site-name">this site</span></span></h2>
        <button type="button" id="copy-snippet" class="ghost">Copy</button>
      </div>
      <pre class="snippet"><code id="snippet"></code></pre>
    </section>
  </div>
</main>
<footer class="ops" id="ops" aria-label="Pipeline health">
  <span>Consumer lag <strong id="ops-lag">–</strong></span>
  <span>Dead letters <strong id="ops-dead-letters">–</strong></span>
</footer>
</body>
</html>
`;
}
