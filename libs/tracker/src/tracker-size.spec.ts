import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTracker } from '../../../scripts/build-tracker.mjs';
import { COLLECT_PATH_PLACEHOLDER, readTrackerScript } from './tracker-script.js';

let built: Awaited<ReturnType<typeof buildTracker>>;

beforeAll(async () => {
  built = await buildTracker();
});

/** Runs the tracker in a bare VM with just enough of a page to see where it posts. */
function firstPostUrl(code: string, attributes: Record<string, string>): string[] {
  const posted: string[] = [];
  const script = { src: 'https://ingest.example/script.js', getAttribute: (n: string) => attributes[n] ?? null };
  const listen = (): void => undefined;
  const page = {
    document: { currentScript: script, title: 'Home', referrer: '', visibilityState: 'visible', addEventListener: listen, querySelector: () => null },
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
