import { createServer, type Server } from 'node:http';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export interface CompatSite {
  /** http://127.0.0.1:<port>: the customer's site. */
  url: string;
  /** The same server under another host name: links there are outbound. */
  otherHostUrl: string;
  /** A page whose head carries `tag` (a whole <script> element) after Plausible's queue stub. */
  page(path: string, tag: string): string;
  close(): Promise<void>;
}

/**
 * A customer's site that kept Plausible's or Umami's snippet: the tag is given per page (in the
 * query string), and the body has what their trackers watch: history navigation, an outbound link,
 * file links, Plausible-tagged and Umami-tagged elements, and calls of both APIs. Link clicks are
 * kept on the page (default prevented once every listener ran), so one page takes every click.
 */
export async function startCompatSite(): Promise<CompatSite> {
  let port = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Page ${escape(url.pathname)}</title>
<script>window.plausible = window.plausible || function() { (window.plausible.q = window.plausible.q || []).push(arguments) };
plausible('Early', { props: { n: 1 } });</script>
${url.searchParams.get('tag') ?? ''}
</head>
<body style="margin:0">
<button id="push" onclick="history.pushState({}, '', '/app/b')">B</button>
<button id="replace" onclick="history.replaceState({ same: true }, '', location.pathname + '?same=1')">Same page</button>
<button id="hash" onclick="location.hash = 'two'">Hash</button>
<a id="out" href="http://localhost:${port}/elsewhere">Elsewhere</a>
<a id="file" href="/files/report.pdf?v=2">Report</a>
<a id="not-a-file" href="/files/notes.md">Notes</a>
<button id="tagged" class="big plausible-event-name=Sign+Up plausible-event-plan=pro plausible-revenue-amount=10 plausible-revenue-currency=EUR">Sign up</button>
<a id="tagged-link" class="plausible-event-name=Docs" href="/docs"><span id="tagged-link-text">Docs</span></a>
<button id="buy" onclick="plausible('Purchase', { props: { plan: 'pro', seats: 3 }, revenue: { amount: 29.5, currency: 'EUR' } })">Buy</button>
<button id="umami-signup" data-umami-event="Signup" data-umami-event-plan="pro" data-umami-event-seats="3">Sign up</button>
<a id="umami-docs" href="/docs" data-umami-event="Docs click"><span id="umami-docs-text">Docs</span></a>
<button id="umami-track" onclick="umami.track('Checkout', { total: 42, currency: 'EUR' })">Checkout</button>
<div style="height:3000px"></div>
<script>window.addEventListener('click', (e) => e.target.closest('a') && e.preventDefault());</script>
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    otherHostUrl: `http://localhost:${port}`,
    page: (path, tag) => `http://127.0.0.1:${port}${path}?${new URLSearchParams({ tag })}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
