import { describe, expect, it } from 'vitest';
import { checkCollectPayload } from '@clickstream/events';
import { percentile } from './load-runner.js';
import { Traffic, Zipf, seededRandom, type TrafficOptions } from './traffic.js';

const options: TrafficOptions = { sites: ['demo', 'shop'], visitors: 500, pages: 50, botShare: 0.1, customEventShare: 0.1, malformedShare: 0.05, seed: 7 };

describe('the load generator traffic model', () => {
  it('is the same for the same seed, and different for another', () => {
    const a = new Traffic(options);
    const b = new Traffic(options);
    const c = new Traffic({ ...options, seed: 8 });
    const first = Array.from({ length: 50 }, () => a.next(3));
    expect(Array.from({ length: 50 }, () => b.next(3))).toEqual(first);
    expect(Array.from({ length: 50 }, () => c.next(3))).not.toEqual(first);
  });

  it('labels malformed events truthfully: the collect schema refuses exactly those', () => {
    const t = new Traffic(options);
    let malformed = 0;
    for (let i = 0; i < 3000; i++) {
      for (const e of t.next(1).events) {
        expect(checkCollectPayload(e.body).ok, JSON.stringify(e.body)).toBe(!e.malformed);
        if (e.malformed) malformed += 1;
      }
    }
    expect(malformed / 3000).toBeGreaterThan(0.03);
    expect(malformed / 3000).toBeLessThan(0.07);
  });

  it('makes visitors browse in sessions: each page view after the first has the previous page as referrer', () => {
    const t = new Traffic({ ...options, malformedShare: 0, customEventShare: 0, visitors: 1 });
    const views = Array.from({ length: 20 }, () => t.next(1).events[0]!.body);
    const internal = views.filter((v) => typeof v['referrer'] === 'string' && (v['referrer'] as string).includes('.example/'));
    expect(internal.length).toBeGreaterThan(8);
    for (let i = 1; i < views.length; i++) {
      const ref = views[i]!['referrer'];
      if (typeof ref === 'string' && ref.includes('.example/')) expect(ref).toBe(String(views[i - 1]!['url']).split('?')[0]);
    }
  });

  it('draws pages with a skewed (Zipf-like) popularity', () => {
    const zipf = new Zipf(100);
    const random = seededRandom(3);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 20_000; i++) counts[zipf.sample(random)]! += 1;
    expect(counts[0]!).toBeGreaterThan(counts[9]! * 5);
    expect(counts[9]!).toBeGreaterThan(counts[99]!);
  });

  it('computes percentiles by the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 100), percentile([], 50)]).toEqual([50, 99, 100, 0]);
  });
});
