import { describe, expect, it } from 'vitest';
import { forgetSite, knownSites, rememberSite, siteLink } from './site-store.js';

/** localStorage's two methods over a Map. */
const memoryStorage = (initial: Record<string, string> = {}) => {
  const items = new Map(Object.entries(initial));
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
};

describe('the remembered sites', () => {
  it('keeps each site with its latest token, sorted by id', () => {
    const storage = memoryStorage();
    rememberSite(storage, 'shop', 't1');
    rememberSite(storage, 'blog', 't2');
    rememberSite(storage, 'shop', 't3');
    expect([...knownSites(storage)]).toEqual([
      ['blog', 't2'],
      ['shop', 't3'],
    ]);
  });

  it('forgets a site only while it still holds the refused token', () => {
    const storage = memoryStorage();
    rememberSite(storage, 'shop', 'good');
    expect(forgetSite(storage, 'shop', 'mistyped').get('shop')).toBe('good');
    expect(forgetSite(storage, 'shop', 'good').has('shop')).toBe(false);
  });

  it('ignores what does not parse or does not look like a site id', () => {
    expect(knownSites(memoryStorage({ 'clickstream:dashboard:sites': 'not json' })).size).toBe(0);
    expect(knownSites(memoryStorage({ 'clickstream:dashboard:sites': '["shop"]' })).size).toBe(0);
    const stored = { shop: 'ok', '<b>x</b>': 'token', blog: 42 };
    expect([...knownSites(memoryStorage({ 'clickstream:dashboard:sites': JSON.stringify(stored) }))]).toEqual([['shop', 'ok']]);
  });

  it('keeps going when storage refuses writes', () => {
    const storage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect([...rememberSite(storage, 'shop', 't')]).toEqual([['shop', 't']]);
  });

  it('builds the share link with the token encoded', () => {
    expect(siteLink('shop', 'a+b/c=')).toBe('/?site=shop&token=a%2Bb%2Fc%3D');
  });
});
