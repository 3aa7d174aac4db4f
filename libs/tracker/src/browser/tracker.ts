/**
 * The Clickstream browser tracker, built by scripts/build-tracker.mjs into dist/tracker/tracker.js
 * and served by ingest as /script.js. Plain browser code with no imports: every byte ships to
 * every visitor, so it stays under 1.5 KB gzipped.
 *
 * Delivery: at least once. Events wait in a bounded queue persisted in localStorage until the
 * server answers 2xx or 4xx; retries resend the same ids and the server stores each id once.
 */
export {};

type Props = Record<string, string | number | boolean>;

interface TrackedEvent {
  type: 'pageview' | 'event';
  site: string;
  url: string;
  referrer?: string;
  title?: string;
  screen: string;
  language: string;
  name?: string;
  props?: Props;
  id: string;
  ts: number;
}

/** A queued event; b marks one sent by beacon on page hide, whose answer nobody saw. */
interface Item {
  e: TrackedEvent;
  b?: number;
}

type Api = ((name: string, props?: Props) => void) & { q?: [string, Props?][] };

/** Replaced by the server with its configured collect path when it serves the file. */
const COLLECT_PATH = '__CLICKSTREAM_COLLECT_PATH__';
/** Where ingest serves the compat tracker (dist/tracker/compat.js), whatever its variants. */
const COMPAT_SCRIPT = '/js/script.js';
const QUEUE_KEY = 'clickstream:queue';
const BATCH = 20;
const MAX_QUEUED = 100;

const win = window as unknown as Window & { clickstream?: Api; doNotTrack?: string };
const doc = document;
const nav = navigator;

function uid(): string {
  const c = win.crypto;
  if (c && c.randomUUID) return c.randomUUID();
  const r = c && c.getRandomValues && c.getRandomValues(new Uint8Array(16));
  let h = '';
  for (let i = 0; i < 16; i++) h += ((r ? r[i]! : Math.random() * 256) | 256).toString(16).slice(1);
  return h;
}

function start(): void {
  const s = (doc.currentScript || doc.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const attr = (n: string) => s && s.getAttribute('data-' + n);
  const site = attr('site');
  if (!s) return;
  if (!site) {
    // a Plausible or Umami snippet pointed at us: hand over to the compat tracker, attributes and all
    if (attr('website-id') || attr('domain')) {
      const c = doc.createElement('script');
      for (let i = 0, a; (a = s.attributes[i]); i++) c.setAttribute(a.name, a.value);
      c.src = new URL(s.src).origin + COMPAT_SCRIPT;
      doc.head.appendChild(c);
    }
    return;
  }

  const optout = attr('optout');
  let off = optout != null && optout != 'false';
  let stored: string | null = null;
  // storage throws when disabled (Safari private mode, blocked cookies): track without it
  try {
    off = off || localStorage.getItem('clickstream:optout') == '1';
    stored = localStorage.getItem(QUEUE_KEY);
  } catch {}
  if (off || (attr('respect-dnt') == 'true' && (nav.doNotTrack == '1' || win.doNotTrack == '1'))) {
    win.clickstream = () => {};
    return;
  }

  const endpoint = attr('endpoint') || new URL(s.src).origin + COLLECT_PATH;
  let q: Item[] = [];
  try {
    const p: unknown = JSON.parse(stored!);
    if (Array.isArray(p)) q = p;
  } catch {}
  let timer = 0;
  /** No fetch before this time: the backoff after a 429, a 5xx or a network error. */
  let wait = 0;
  let tries = 0;
  let sending: Item[] | undefined;
  let last: string | undefined;

  const save = () => {
    if (q.length > MAX_QUEUED) q.splice(0, q.length - MAX_QUEUED);
    try {
      localStorage.setItem(QUEUE_KEY, JSON.stringify(q));
    } catch {}
  };
  const body = (items: Item[]) => JSON.stringify(items.map((i) => i.e));
  const schedule = (ms: number) => {
    if (!timer) timer = win.setTimeout(flush, Math.max(ms, wait - Date.now()));
  };

  function flush(): void {
    win.clearTimeout(timer);
    timer = 0;
    if (sending || !q.length) return;
    const batch = (sending = q.slice(0, BATCH));
    const finish = (drop: (i: Item) => unknown) => {
      q = q.filter((i) => batch.indexOf(i) < 0 || !drop(i));
      sending = undefined;
      save();
      win.clearTimeout(timer);
      timer = 0;
      schedule(0);
    };
    const retry = (drop: (i: Item) => unknown, after: number) => {
      wait = Date.now() + Math.max(Math.min(1000 << tries, 60000), after * 1000 || 0);
      if (tries < 6) tries++;
      finish(drop);
    };
    fetch(endpoint, { method: 'POST', body: body(batch), headers: { 'Content-Type': 'text/plain' }, keepalive: true, credentials: 'omit' }).then(
      (r) => {
        const st = r.status;
        if (st < 500 && st != 429) {
          // accepted, or refused as bad data: neither gets better by sending it again
          tries = wait = 0;
          finish(() => 1);
        } else retry((i) => i.b, +(r.headers.get('Retry-After') || 0));
      },
      () => retry(() => 0, 0),
    );
  }

  function track(type: TrackedEvent['type'], extra: Partial<TrackedEvent>): void {
    const e: TrackedEvent = {
      type,
      site: site!,
      url: location.href,
      title: doc.title.slice(0, 512) || undefined,
      screen: screen.width + 'x' + screen.height,
      language: nav.language,
      id: uid(),
      ts: Date.now(),
    };
    q.push({ e: Object.assign(e, extra) });
    save();
    schedule(1000);
  }

  const pageview = () => {
    const url = location.href;
    if (url == last) return;
    const referrer = (last == null ? doc.referrer : last).slice(0, 2048) || undefined;
    last = url;
    track('pageview', { referrer });
  };

  // a beacon survives the page; the batch in flight already has a keepalive fetch
  const hide = () => {
    const items = q.filter((i) => !i.b && (!sending || sending.indexOf(i) < 0));
    for (let k = 0; k < items.length; k += BATCH) {
      const chunk = items.slice(k, k + BATCH);
      // while the server is refusing, the beacon likely failed too: keep those for a proper retry
      if (nav.sendBeacon(endpoint, new Blob([body(chunk)], { type: 'text/plain' })) && Date.now() >= wait) chunk.forEach((i) => (i.b = 1));
    }
    save();
  };

  const h = history;
  (['pushState', 'replaceState'] as const).forEach((k) => {
    const original = h[k];
    h[k] = function (this: History, ...a: Parameters<History['pushState']>) {
      original.apply(this, a);
      pageview();
    };
  });
  win.addEventListener('popstate', pageview);
  win.addEventListener('pagehide', hide);
  doc.addEventListener('visibilitychange', () => doc.visibilityState == 'hidden' && hide());

  const stub = win.clickstream;
  const api: Api = (name, props) => track('event', { name, props });
  win.clickstream = api;
  pageview();
  if (stub && stub.q) for (const a of stub.q) api(a[0], a[1]);
  // the first pageview goes at once so it shows on the live dashboard without delay
  flush();
}

start();
