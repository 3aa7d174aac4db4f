/**
 * Clickstream's own stand-in for Plausible's and Umami's trackers, built by scripts/build-tracker.mjs
 * into dist/tracker/compat.js and served by ingest at Plausible's script paths (/js/script*.js), and
 * loaded by our tracker when a /script.js tag carries Umami's attributes. A site whose analytics host
 * name now points at our ingest keeps its snippet unchanged: this reads the snippet's attributes and
 * sends to our drop-in endpoints in each tracker's wire format. Plain browser code with no imports.
 *
 * Mode: data-domain is Plausible's snippet, data-website-id Umami's. Plausible's variants (hash,
 * outbound-links, ...) are read from this script's own file name, as their variant builds are.
 * Delivery: like theirs, one keepalive fetch per event, no retry.
 */
export {};

type Props = Record<string, unknown>;
type Callback = (result: { status?: number; error?: unknown }) => void;

interface PlausibleOptions {
  props?: Props;
  revenue?: Props;
  callback?: Callback;
  interactive?: boolean;
  u?: string;
  url?: string;
}

interface PlausiblePayload {
  n: string;
  u: string;
  d: string | null;
  r?: string | null;
  p?: Props;
  $?: Props;
  i?: false;
  h?: 1;
  sd?: number;
  e?: number;
}

type PlausibleApi = ((name: string, options?: PlausibleOptions) => void) & { q?: ArrayLike<unknown>[] };
type UmamiPayload = Props | undefined | null | false;
type UmamiTrack = (name?: string | Props | ((base: Props) => UmamiPayload), data?: Props) => Promise<void>;
interface UmamiApi {
  track: UmamiTrack;
  identify: (id?: string | Props, data?: Props) => Promise<void>;
}

/** Replaced by the server with its configured endpoint paths when it serves the file. */
const PLAUSIBLE_PATH = '__CLICKSTREAM_PLAUSIBLE_PATH__';
const UMAMI_PATH = '__CLICKSTREAM_UMAMI_PATH__';
/** Plausible's default list of file extensions counted as downloads. */
const FILE_TYPES = 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg';

const win = window as unknown as Window & { plausible?: PlausibleApi; umami?: UmamiApi; doNotTrack?: string } & Record<string, unknown>;
const doc = document;
const loc = location;
const listen = (target: EventTarget, type: string, fn: (e: Event) => unknown, capture?: boolean) => target.addEventListener(type, fn as EventListener, capture);
const post = (url: string, body: unknown, type: string, extra?: Record<string, string>) =>
  fetch(url, { method: 'POST', body: JSON.stringify(body), headers: Object.assign({ 'Content-Type': type }, extra), keepalive: true, credentials: 'omit' });
const ignored = (key: string) => {
  // storage throws when disabled (Safari private mode, blocked cookies)
  try {
    return localStorage.getItem(key);
  } catch {}
};
/** Calls fn after every history.pushState and history.replaceState, with their arguments. */
const onHistory = (fn: (url?: string | URL | null) => void) => {
  const h = history;
  (['pushState', 'replaceState'] as const).forEach((k) => {
    const original = h[k];
    h[k] = function (this: History, ...a: Parameters<History['pushState']>) {
      original.apply(this, a);
      fn(a[2]);
    };
  });
};

function plausible(s: HTMLScriptElement, src: URL): void {
  const attr = (n: string) => s.getAttribute(n);
  const variants = src.pathname.split('/').pop()!.split('.');
  const on = (v: string) => variants.indexOf(v) > 0;
  const hash = on('hash');
  const endpoint = attr('data-api') || src.origin + PLAUSIBLE_PATH;
  const domain = attr('data-domain');
  const types = (attr('file-types') || attr('data-file-types') || FILE_TYPES).split(',');
  const more = attr('add-file-types') || attr('data-add-file-types');
  if (more) types.push(...more.split(','));

  const send = (p: PlausiblePayload, cb?: Callback) => {
    if (hash) p.h = 1;
    post(endpoint, p, 'text/plain').then(
      (r) => cb && cb({ status: r.status }),
      (error) => cb && cb({ error }),
    );
  };

  // engagement of the page view in course: deepest scroll (px), visible time, what was last sent
  let seen: PlausiblePayload | undefined;
  let deepest = 0;
  let sentDepth = -1;
  let engaged = 0;
  let visibleSince = 0;
  const height = () => Math.max(doc.body ? doc.body.scrollHeight : 0, doc.documentElement.scrollHeight);
  const depth = () => Math.min(height(), win.scrollY + win.innerHeight);
  const engage = () => {
    const e = engaged + (visibleSince && Date.now() - visibleSince);
    // a page is engaged once scrolled further than last told, or seen for 3 s since
    if (seen && (deepest > sentDepth || e >= 3000)) {
      sentDepth = deepest;
      engaged = 0;
      visibleSince = 0;
      send({ n: 'engagement', u: seen.u, d: domain, p: seen.p, sd: Math.min(100, Math.round((deepest / height()) * 100)), e });
    }
  };
  const hide = () => {
    engaged += visibleSince && Date.now() - visibleSince;
    visibleSince = 0;
    engage();
  };
  listen(doc, 'scroll', () => (deepest = Math.max(deepest, depth())));
  listen(doc, 'visibilitychange', () => (doc.visibilityState == 'hidden' ? hide() : visibleSince || (visibleSince = Date.now())));
  listen(win, 'pagehide', hide);

  const matches = (list: string | null) => {
    const path = loc.pathname + (hash ? loc.hash : '');
    return (
      list &&
      list.split(',').some((w) => new RegExp('^' + w.trim().replace(/\*\*/g, '.*').replace(/([^.])\*/g, '$1[^\\s/]*') + '/?$').test(path))
    );
  };

  const track: PlausibleApi = (n, o = {}) => {
    const pageview = n == 'pageview';
    if (pageview) engage();
    if (
      ignored('plausible_ignore') == 'true' ||
      (pageview && on('exclusions') && ((attr('data-include') && !matches(attr('data-include'))) || matches(attr('data-exclude'))))
    ) {
      if (pageview) seen = undefined;
      if (o.callback) o.callback({});
      return;
    }
    const p: PlausiblePayload = { n, u: (on('manual') && (o.u || o.url)) || loc.href, d: domain, r: doc.referrer || null };
    let props = o.props;
    if (on('pageview-props')) {
      props = props || {};
      for (const k of s.getAttributeNames()) if (k.indexOf('event-') == 0 && props[k.slice(6)] == null) props[k.slice(6)] = attr(k);
    }
    if (props) p.p = props;
    if (on('revenue') && o.revenue) p.$ = o.revenue;
    if (o.interactive === false) p.i = false;
    if (pageview) {
      seen = p;
      deepest = depth();
      sentDepth = -1;
      engaged = 0;
      visibleSince = Date.now();
    }
    send(p, o.callback);
  };

  const taggedName = /plausible-event-name(=|--)/;
  const tagged = (el: Element | null, up: number): Element | undefined =>
    (el && el.classList && [].some.call(el.classList, (c: string) => taggedName.test(c)) && el) || (el && up > 0 && tagged(el.parentElement, up - 1)) || undefined;

  /** Sends a tagged element's event: its name and props from its classes, the link's url when on a link. */
  const fire = (t: Element, link: HTMLAnchorElement | null) => {
    const props: Props = {};
    const revenue: Props = {};
    let name = '';
    [].forEach.call(t.classList, (c: string) => {
      const m = c.match(/plausible-(event|revenue)-(.+)(=|--)(.+)/);
      if (m) {
        const v = m[4]!.replace(/\+/g, ' ');
        if (m[1] == 'revenue') revenue[m[2]!] = v;
        else if (m[2]!.toLowerCase() == 'name') name = v;
        else props[m[2]!] = v;
      }
    });
    if (link) props.url = link.href;
    track(name, { props, revenue: revenue.amount ? revenue : undefined });
  };

  const click = (ev: Event) => {
    const e = ev as MouseEvent;
    if (e.type == 'auxclick' && e.button != 1) return;
    const target = e.target as Element;
    if (!target.closest) return;
    const link = target.closest('a[href]') as HTMLAnchorElement | null;
    const t = on('tagged-events') && tagged(target, 3);
    // inside a form only its submission counts
    if (t) return target.closest('form') || fire(t, link);
    if (!link) return;
    if (on('outbound-links') && link.host && link.host != loc.host) return track('Outbound Link: Click', { props: { url: link.href } });
    const url = link.href.split('?')[0]!;
    if (on('file-downloads') && types.indexOf(url.split('.').pop()!) >= 0) track('File Download', { props: { url } });
  };
  listen(doc, 'click', click);
  listen(doc, 'auxclick', click);
  listen(doc, 'submit', (e) => {
    const t = on('tagged-events') && tagged(e.target as Element, 0);
    if (t) fire(t, null);
  });

  const queue = (win.plausible && win.plausible.q) || [];
  win.plausible = track;

  if (!on('manual')) {
    let last: string | undefined;
    const page = (spa?: unknown) => {
      // a history change that keeps the path (a query string, a replaced state) is no new page
      if (spa && !hash && last == loc.pathname) return;
      last = loc.pathname;
      track('pageview');
    };
    if (hash) listen(win, 'hashchange', page);
    else {
      onHistory(() => page(1));
      listen(win, 'popstate', page);
    }
    listen(win, 'pageshow', (e) => (e as PageTransitionEvent).persisted && page());
    if (doc.visibilityState == ('prerender' as string) || doc.visibilityState == 'hidden') listen(doc, 'visibilitychange', () => !last && doc.visibilityState == 'visible' && page());
    else page();
  }
  for (let i = 0; i < queue.length; i++) track.apply(null, [].slice.call(queue[i]) as unknown as Parameters<PlausibleApi>);
}

function umami(s: HTMLScriptElement, src: URL): void {
  const attr = (n: string) => s.getAttribute('data-' + n);
  const website = attr('website-id');
  const endpoint = (attr('host-url') || src.origin).replace(/\/$/, '') + UMAMI_PATH;
  const tag = attr('tag') || undefined;
  const domains = attr('domains');
  const dnt = attr('do-not-track') == 'true';
  const normalize = (raw: string) => {
    if (!raw) return raw;
    const u = new URL(raw, loc.href);
    if (attr('exclude-search') == 'true') u.search = '';
    if (attr('exclude-hash') == 'true') u.hash = '';
    return u.href;
  };
  let url = normalize(loc.href);
  let referrer = doc.referrer.indexOf(loc.origin) == 0 ? '' : normalize(doc.referrer);
  let cache: string | undefined;
  let stopped: unknown;
  let identity: string | undefined;

  const off = () =>
    stopped ||
    !website ||
    ignored('umami.disabled') ||
    (domains && domains.split(',').map((d) => d.trim()).indexOf(loc.hostname) < 0) ||
    (dnt && [win.doNotTrack, navigator.doNotTrack].some((v) => v == '1' || v == 'yes'));

  const base = (): Props => ({
    website,
    screen: screen.width + 'x' + screen.height,
    language: navigator.language,
    title: doc.title,
    hostname: loc.hostname,
    url,
    referrer,
    tag,
    id: identity,
  });

  const send = async (payload: UmamiPayload, type = 'event') => {
    if (off()) return;
    const before = win[attr('before-send') || ''];
    if (typeof before == 'function') payload = await before(type, payload);
    if (!payload) return;
    try {
      const data = await (await post(endpoint, { type, payload }, 'application/json', cache ? { 'x-umami-cache': cache } : {})).json();
      if (data) {
        // the server asked us to stop: never send again from this page
        if (data.disabled) stopped = 1;
        cache = data.cache;
      }
    } catch {}
  };

  const track: UmamiTrack = (name, data) =>
    typeof name == 'string'
      ? send(Object.assign(base(), { name, data }))
      : typeof name == 'object'
        ? send(Object.assign({}, name))
        : typeof name == 'function'
          ? send(name(base()))
          : send(base());

  if (!win.umami)
    win.umami = {
      track,
      identify: (id, data) => {
        if (typeof id == 'string') identity = id;
        cache = undefined;
        return send(Object.assign(base(), { data: typeof id == 'object' ? id : data }), 'identify');
      },
    };

  let started = 0;
  const init = () => {
    if (started || doc.readyState != 'complete') return;
    started = 1;
    track();
    onHistory((next) => {
      if (!next) return;
      referrer = url;
      url = normalize(new URL(next, loc.href).href);
      // after a moment, so the new page's title is set
      if (url != referrer) setTimeout(() => track(), 300);
    });
    listen(
      doc,
      'click',
      (e) => {
        const target = e.target as Element;
        const el = (target.closest && target.closest('a,button')) || target;
        const name = el.getAttribute && el.getAttribute('data-umami-event');
        if (!name) return;
        const data: Props = {};
        for (const k of el.getAttributeNames()) {
          const m = k.match(/^data-umami-event-([\w-]+)$/);
          if (m) data[m[1]!] = el.getAttribute(k);
        }
        track(name, data);
      },
      true,
    );
  };
  if (attr('auto-track') != 'false' && !off()) {
    init();
    listen(doc, 'readystatechange', init, true);
  }
}

const script = (doc.currentScript || doc.getElementById('plausible')) as HTMLScriptElement | null;
if (script) {
  const src = new URL(script.src, loc.href);
  if (script.getAttribute('data-domain')) plausible(script, src);
  else if (script.getAttribute('data-website-id')) umami(script, src);
}
