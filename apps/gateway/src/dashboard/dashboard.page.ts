const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * The live dashboard: one HTML page, no build step yet. Everything that comes from a
 * tracked page is written with textContent, never as HTML.
 */
export function dashboardPage(ingestUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clickstream live</title>
<style>
  :root { color-scheme: light dark; --fg: #111827; --muted: #6b7280; --bg: #f9fafb; --card: #fff; --accent: #2563eb; --ok: #16a34a; --warn: #d97706; }
  @media (prefers-color-scheme: dark) { :root { --fg: #f3f4f6; --muted: #9ca3af; --bg: #0b1120; --card: #111827; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
  header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 14px 20px; background: var(--card); border-bottom: 1px solid #e5e7eb33; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  form { display: flex; gap: 6px; }
  input { font: inherit; padding: 4px 8px; border-radius: 6px; border: 1px solid #9ca3af; background: transparent; color: inherit; }
  button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 0; background: var(--accent); color: #fff; cursor: pointer; }
  #status { margin-left: auto; display: flex; align-items: center; gap: 6px; color: var(--muted); }
  #status::before { content: ""; width: 10px; height: 10px; border-radius: 50%; background: var(--warn); }
  #status[data-state="live"]::before { background: var(--ok); }
  main { max-width: 1100px; margin: 0 auto; padding: 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); }
  .card { background: var(--card); border-radius: 12px; padding: 16px 20px; box-shadow: 0 1px 3px #0000001a; }
  .card.wide { grid-column: 1 / -1; }
  .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
  .big { font-size: 44px; font-weight: 700; font-variant-numeric: tabular-nums; }
  #chart { display: flex; align-items: flex-end; gap: 2px; height: 140px; margin-top: 10px; }
  #chart div { flex: 1; background: var(--accent); border-radius: 2px 2px 0 0; min-height: 1px; opacity: .85; }
  code { display: block; white-space: pre-wrap; word-break: break-all; font-size: 13px; background: #6b72801a; padding: 10px; border-radius: 8px; }
</style>
</head>
<body>
<header>
  <h1>Clickstream</h1>
  <form id="site-form"><input id="site-input" name="site" placeholder="site id" aria-label="site id" required><button>Open</button></form>
  <span id="status" data-state="connecting">connecting</span>
</header>
<main>
  <section class="card"><div class="label">Pageviews today (UTC)</div><div class="big" id="today">–</div></section>
  <section class="card"><div class="label">Last 60 seconds</div><div class="big" id="minute">–</div></section>
  <section class="card wide"><div class="label">Pageviews per second, last minute</div><div id="chart" aria-label="pageviews per second"></div></section>
  <section class="card wide"><div class="label">Snippet for <span id="site-name"></span></div><code id="snippet"></code></section>
</main>
<script src="/socket.io/socket.io.min.js"></script>
<script>
(function () {
  var INGEST_URL = ${JSON.stringify(escapeHtml(ingestUrl)).replace(/</g, '\\u003c')};
  var params = new URLSearchParams(location.search);
  var site = params.get('site') || '';
  var token = params.get('token') || '';
  var $ = function (id) { return document.getElementById(id); };
  $('site-input').value = site;
  $('site-form').addEventListener('submit', function (e) {
    e.preventDefault();
    location.search = '?site=' + encodeURIComponent($('site-input').value.trim()) + '&token=' + encodeURIComponent(token);
  });
  var status = function (state, text) { $('status').dataset.state = state; $('status').textContent = text; };
  if (!site) { status('idle', 'pick a site'); return; }
  $('site-name').textContent = site;
  $('snippet').textContent = '<script defer src="' + INGEST_URL + '/script.js" data-site="' + site + '"></' + 'script>';

  var windows = new Map();
  var today = 0;
  var dayStart = 0;
  var bars = [];
  for (var i = 0; i < 60; i++) { var b = document.createElement('div'); $('chart').appendChild(b); bars.push(b); }

  function render() {
    var now = Date.now();
    var newest = now - (now % 1000);
    var counts = [];
    var minute = 0;
    for (var i = 59; i >= 0; i--) { var n = windows.get(newest - i * 1000) || 0; counts.push(n); minute += n; }
    var max = Math.max.apply(null, counts.concat([1]));
    counts.forEach(function (n, i) { bars[i].style.height = (100 * n / max) + '%'; bars[i].title = n + ' pageviews'; });
    $('today').textContent = today.toLocaleString();
    $('minute').textContent = minute.toLocaleString();
    windows.forEach(function (_, start) { if (start < newest - 120000) windows.delete(start); });
  }

  var socket = io('/live', { auth: { site: site, token: token }, transports: ['websocket', 'polling'] });
  socket.on('connect', function () { status('live', 'live'); });
  socket.on('disconnect', function () { status('reconnecting', 'reconnecting'); });
  socket.on('connect_error', function (err) { status('error', 'error: ' + err.message); });
  function apply(s) {
    windows = new Map();
    s.seconds.forEach(function (w) { windows.set(w.windowStart, w.pageviews); });
    today = s.todayPageviews;
    dayStart = s.dayStart;
    render();
  }
  socket.on('snapshot', apply);
  socket.on('update', apply);
  setInterval(render, 1000);
})();
</script>
</body>
</html>
`;
}
