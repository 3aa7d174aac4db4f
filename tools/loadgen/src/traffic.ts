/**
 * A synthetic but realistic visitor population: visitors browse in sessions of several pages
 * with Zipf-like page popularity, arrive from a mix of referrers and campaigns, use real-world
 * browsers (a share are bots), and fire custom events. Deterministic for a given seed, so a
 * benchmark run can be repeated exactly.
 */

export interface TrafficOptions {
  sites: readonly string[];
  visitors: number;
  pages: number;
  /** Share of requests sent by bots (0..1). */
  botShare: number;
  /** Share of events that are custom events rather than page views (0..1). */
  customEventShare: number;
  /** Share of events that are malformed on purpose (0..1): they must be refused with 400. */
  malformedShare: number;
  seed: number;
}

export interface GeneratedEvent {
  body: Record<string, unknown>;
  malformed: boolean;
}

export interface GeneratedRequest {
  /** The visitor's address, sent as X-Forwarded-For (ingest must trust one proxy hop). */
  ip: string;
  userAgent: string;
  events: GeneratedEvent[];
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'curl/8.5.0',
];
const REFERRERS = [null, null, null, 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://t.co/abc', 'https://www.reddit.com/r/programming/', 'https://duckduckgo.com/'];
const CAMPAIGNS = [null, null, null, null, { source: 'newsletter', medium: 'email', campaign: 'november' }, { source: 'twitter', medium: 'social', campaign: 'launch' }, { source: 'google', medium: 'cpc', campaign: 'brand' }];
const EVENT_NAMES = ['signup', 'download', 'play-video', 'add-to-cart'];
const MALFORMED: Record<string, unknown>[] = [
  { url: 'https://x.example/' }, // no site
  { site: 'x', url: 'javascript:alert(1)' },
  { site: 'x', url: 'https://x.example/', colour: 'red' },
  { type: 'event', site: 'x', url: 'https://x.example/' }, // event without a name
  { site: 'x', url: 'https://x.example/', screen: 42 },
];

/** mulberry32: a small, fast, seedable generator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples ranks 0..n-1 with probability proportional to 1/(rank+1)^s. */
export class Zipf {
  private readonly cumulative: number[];

  constructor(n: number, s = 1.1) {
    let sum = 0;
    this.cumulative = Array.from({ length: n }, (_, i) => (sum += 1 / (i + 1) ** s));
    this.cumulative = this.cumulative.map((c) => c / sum);
  }

  sample(random: () => number): number {
    const r = random();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Visitor {
  site: string;
  ip: string;
  userAgent: string;
  bot: boolean;
  pagesLeft: number;
  lastPath: string | null;
  referrer: string | null;
  campaign: (typeof CAMPAIGNS)[number];
}

export class Traffic {
  private readonly random: () => number;
  private readonly pages: Zipf;
  private readonly visitors: Visitor[] = [];
  private eventSeq = 0;

  constructor(private readonly options: TrafficOptions) {
    this.random = seededRandom(options.seed);
    this.pages = new Zipf(options.pages);
  }

  /** The next request: one visitor's next `batch` events (a session continues, or a new one starts). */
  next(batch: number): GeneratedRequest {
    const visitor = this.pickVisitor();
    const events: GeneratedEvent[] = [];
    for (let i = 0; i < batch; i++) events.push(this.nextEvent(visitor));
    return { ip: visitor.ip, userAgent: visitor.userAgent, events };
  }

  private pickVisitor(): Visitor {
    const index = Math.floor(this.random() * this.options.visitors);
    let v = this.visitors[index];
    if (!v) {
      const bot = this.random() < this.options.botShare;
      v = {
        site: this.options.sites[index % this.options.sites.length]!,
        ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
        userAgent: bot ? BOTS[index % BOTS.length]! : BROWSERS[index % BROWSERS.length]!,
        bot,
        pagesLeft: 0,
        lastPath: null,
        referrer: null,
        campaign: null,
      };
      this.visitors[index] = v;
    }
    if (v.pagesLeft <= 0) {
      // a new session: 1 to 8 pages, from a referrer or a campaign
      v.pagesLeft = 1 + Math.floor(this.random() * 8);
      v.lastPath = null;
      v.referrer = REFERRERS[Math.floor(this.random() * REFERRERS.length)]!;
      v.campaign = CAMPAIGNS[Math.floor(this.random() * CAMPAIGNS.length)]!;
    }
    return v;
  }

  private nextEvent(v: Visitor): GeneratedEvent {
    this.eventSeq += 1;
    if (this.random() < this.options.malformedShare) return { body: { ...MALFORMED[this.eventSeq % MALFORMED.length]! }, malformed: true };
    const id = `lg-${this.options.seed}-${this.eventSeq.toString(36).padStart(8, "0")}`;
    if (v.lastPath !== null && this.random() < this.options.customEventShare) {
      const name = EVENT_NAMES[Math.floor(this.random() * EVENT_NAMES.length)]!;
      return { body: { type: 'event', site: v.site, url: `https://${v.site}.example${v.lastPath}`, name, props: { plan: this.random() < 0.5 ? 'free' : 'pro' }, id }, malformed: false };
    }
    const path = this.pages.sample(this.random) === 0 ? '/' : `/page/${this.pages.sample(this.random)}`;
    const query = v.lastPath === null && v.campaign ? `?utm_source=${v.campaign.source}&utm_medium=${v.campaign.medium}&utm_campaign=${v.campaign.campaign}` : '';
    const referrer = v.lastPath === null ? v.referrer : `https://${v.site}.example${v.lastPath}`;
    v.lastPath = path;
    v.pagesLeft -= 1;
    return { body: { site: v.site, url: `https://${v.site}.example${path}${query}`, ...(referrer ? { referrer } : {}), title: `Page ${path}`, screen: '1920x1080', language: 'en-US', id }, malformed: false };
  }
}
