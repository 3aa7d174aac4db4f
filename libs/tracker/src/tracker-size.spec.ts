import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTracker } from '../../../scripts/build-tracker.mjs';
import { PLAUSIBLE_PATH_PLACEHOLDER, UMAMI_PATH_PLACEHOLDER, readCompatScript } from './compat-script.js';
import { COLLECT_PATH_PLACEHOLDER, readTrackerScript } from './tracker-script.js';

let built: Awaited<ReturnType<typeof buildTracker>>;

beforeAll(async () => {
  built = await buildTracker();
});

/** Runs the tracker in a bare VM with just enough of a page to see where it posts. */
function firstPostUrl(code: string, attributes: Record<string, string>, added: Record<string, string>[] = []): string[] {
  const posted: string[] = [];
  const attrs = [...Object.entries(attributes).map(([name, value]) => ({ name, value })), { name: 'src', value: 'https://ingest.example/script.js' }];
  const script = { src: 'https://ingest.example/script.js', attributes: attrs, getAttribute: (n: string) => attributes[n] ?? null };
  const createElement = () => {
    const el: Record<string, string> = {};
    return { setAttribute: (n: string, v: string) => (el[n] = v), set src(v: string) { el['src'] = v }, el };
  };
  const listen = (): void => undefined;
  const page = {
    document: {
      currentScript: script,
      title: 'Home',
      referrer: '',
      visibilityState: 'visible',
      addEventListener: listen,
      querySelector: () => null,
      createElement,
      head: { appendChild: (c: { el: Record<string, string> }) => added.push(c.el) },
    },
    navigator: { language: 'en-US', sendBeacon: () => true },
    location: { href: 'https://shop.example/' },
    screen: { width: 1280, height: 800 },
    history: { pushState: listen, replaceState: listen },
    localStorage: { getItem: () => null, setItem: listen },
    crypto: { randomUUID: () => '00000000-0000-4000-8000-000000000000' },
    fetch: (url: string) => {
      posted.push(url);
      return new Promise(() => undefined);
    },
    addEventListener: listen,
    setTimeout: () => 1,
    clearTimeout: listen,
    URL,
  };
  runInNewContext(code, Object.assign(page, { window: page }));
  return posted;
}

describe('the built tracker', () => {
  it('stays within 1.5 KB gzipped', () => {
    const code = readFileSync(built.file);
    expect(built.gzipBytes).toBe(gzipSync(code, { level: 9 }).length);
    expect(built.bytes).toBe(code.length);
    expect(built.gzipBytes).toBeLessThanOrEqual(1536);
  });

  it('carries the collect path placeholder once, as a double-quoted string the server can fill in', () => {
    const code = readFileSync(built.file, 'utf8');
    expect(code.split(COLLECT_PATH_PLACEHOLDER)).toHaveLength(2);
    expect(code).toContain(`"${COLLECT_PATH_PLACEHOLDER}"`);
  });

  it('posts to the script origin plus the substituted collect path', () => {
    expect(firstPostUrl(readTrackerScript('/v1/e'), { 'data-site': 'shop' })).toEqual(['https://ingest.example/v1/e']);
  });

  it('posts to data-endpoint when the tag names one', () => {
    const posted = firstPostUrl(readTrackerScript('/api/collect'), { 'data-site': 'shop', 'data-endpoint': 'https://proxy.example/c' });
    expect(posted).toEqual(['https://proxy.example/c']);
  });

  it.each([
    ['Umami', { 'data-website-id': '3f2a1b4c-0000-4000-8000-000000000001', 'data-domains': 'shop.example', defer: '' }],
    ['Plausible', { 'data-domain': 'shop.example', 'data-api': 'https://proxy.example/api/event' }],
  ])("hands a tag with %s's attributes to the compat tracker from its own origin, attributes copied, and sends nothing itself", (_, attributes) => {
    const added: Record<string, string>[] = [];
    const posted = firstPostUrl(readTrackerScript('/api/collect'), attributes, added);
    expect(posted).toEqual([]);
    expect(added).toEqual([{ ...attributes, src: 'https://ingest.example/js/script.js' }]);
  });

  it('does nothing for a tag with neither data-site nor a Plausible or Umami attribute', () => {
    const added: Record<string, string>[] = [];
    expect(firstPostUrl(readTrackerScript('/api/collect'), { 'data-other': 'x' }, added)).toEqual([]);
    expect(added).toEqual([]);
  });
});

describe('the built compat tracker (Plausible and Umami script paths)', () => {
  it('reports its size, and stays within 3 KB gzipped', () => {
    const { compat } = built;
    const code = readFileSync(compat.file);
    expect(compat.gzipBytes).toBe(gzipSync(code, { level: 9 }).length);
    console.log(`dist/tracker/compat.js: ${compat.bytes} bytes, ${compat.gzipBytes} bytes gzipped`);
    expect(compat.gzipBytes).toBeLessThanOrEqual(3072);
  });

  it('carries each endpoint placeholder once, double-quoted, and the server fills both in', () => {
    const code = readFileSync(built.compat.file, 'utf8');
    for (const placeholder of [PLAUSIBLE_PATH_PLACEHOLDER, UMAMI_PATH_PLACEHOLDER]) {
      expect(code.split(placeholder)).toHaveLength(2);
      expect(code).toContain(`"${placeholder}"`);
    }
    const served = readCompatScript({ plausibleEventPath: '/p/event', umamiSendPath: '/u/send' });
    expect(served).toContain('"/p/event"');
    expect(served).toContain('"/u/send"');
    expect(served).not.toMatch(/__CLICKSTREAM_/);
  });

  it.each(['api/event', '/api/event"+alert(1)+"', ''])('refuses %j as an endpoint path', (path) => {
    expect(() => readCompatScript({ plausibleEventPath: path, umamiSendPath: '/api/send' })).toThrow(/plausibleEventPath/);
    expect(() => readCompatScript({ plausibleEventPath: '/api/event', umamiSendPath: path })).toThrow(/umamiSendPath/);
  });
});

describe('readTrackerScript', () => {
  it('replaces every placeholder with the collect path', () => {
    const code = readTrackerScript('/api/collect');
    expect(code).not.toContain(COLLECT_PATH_PLACEHOLDER);
    expect(code).toContain('"/api/collect"');
    expect(code.length).toBe(built.bytes - COLLECT_PATH_PLACEHOLDER.length + '/api/collect'.length);
  });

  it.each(['api/collect', '/api/collect"+alert(1)+"', '/a b', '/a\\nb', ''])('refuses %j, which is not a plain URL path', (path) => {
    expect(() => readTrackerScript(path)).toThrow(/collect path/);
  });
});
