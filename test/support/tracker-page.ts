import { createServer, type Server } from 'node:http';

/** Calls made before the tracker loads wait in clickstream.q; this is the stub sites paste. */
const STUB = `<script>window.clickstream = window.clickstream || function () { (window.clickstream.q = window.clickstream.q || []).push(arguments) };
clickstream('early', { n: 1 });</script>`;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export interface TrackerSite {
  url: string;
  /** A page URL: site becomes data-site, attrs more data-* attributes, stub adds the queue stub. */
  page(path: string, options: { site: string; attrs?: Record<string, string>; stub?: boolean }): string;
  close(): Promise<void>;
}

/**
 * A customer's single-page site carrying the tracker tag, with buttons that navigate through the
 * History API and send a custom event. The tag is described by the page's query string.
 */
export async function startTrackerSite(scriptUrl: string): Promise<TrackerSite> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    const attrs = [...url.searchParams]
      .filter(([k]) => k.startsWith('data-'))
      .map(([k, v]) => ` ${k}="${escape(v)}"`)
      .join('');
    const site = escape(url.searchParams.get('site') ?? '');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Page ${escape(url.pathname)}</title>
${url.searchParams.has('stub') ? STUB : ''}
<script defer src="${escape(scriptUrl)}" data-site="${site}"${attrs}></script></head>
<body>
<button id="push" onclick="history.pushState({}, '', '/app/b' + location.search)">B</button>
<button id="replace" onclick="history.replaceState({ same: true }, '', location.href)">Same URL</button>
<button id="signup" onclick="clickstream('signup', { plan: 'pro', seats: 3 })">Sign up</button>
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    page(path, { site, attrs = {}, stub = false }) {
      const query = new URLSearchParams({ site, ...attrs });
      if (stub) query.set('stub', '1');
      return `${base}${path}?${query}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
