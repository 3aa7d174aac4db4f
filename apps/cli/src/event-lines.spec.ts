import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '@clickstream/events';
import { eventFromLine, visitorIdOf, type LineContext } from './event-lines.js';

const now = Date.UTC(2026, 10, 25, 10, 0, 0);
const context: LineContext = { receivedAt: now, clockSkewMs: 300_000, maxBytes: 65_536, knownSites: undefined };

describe('eventFromLine', () => {
  it('builds the record ingest would produce, keyed by site and visitor', () => {
    const result = eventFromLine('{"site":"demo","url":"https://example.com/pricing?utm_source=news","referrer":"https://news.example/a","visitor":"alice"}', context);
    expect(result.kind).toBe('event');
    if (result.kind !== 'event') return;
    expect(result.event).toMatchObject({ v: 3, type: 'pageview', site: 'demo', path: '/pricing', referrerDomain: 'news.example', eventTime: now, receivedAt: now, isBot: false });
    expect(result.event.utm.source).toBe('news');
    expect(result.key).toBe(`demo:${visitorIdOf('demo', 'alice')}`);
    // what the aggregator will read back
    expect(decodeEvent(encodeEvent(result.event))).toEqual(result.event);
  });

  it('gives the same visitor name the same id on every run, and each line without one a new id', () => {
    expect(visitorIdOf('demo', 'alice')).toBe(visitorIdOf('demo', 'alice'));
    expect(visitorIdOf('demo', 'alice')).not.toBe(visitorIdOf('shop', 'alice'));
    expect(visitorIdOf('demo', undefined)).toMatch(/^[0-9a-f]{32}$/);
    expect(visitorIdOf('demo', undefined)).not.toBe(visitorIdOf('demo', undefined));
  });

  it('reads custom events with their properties and clamps a client clock like ingest', () => {
    const result = eventFromLine(JSON.stringify({ type: 'event', name: 'signup', props: { plan: 'pro', seats: 3 }, site: 'demo', url: 'https://example.com/', ts: now - 3_600_000 }), context);
    if (result.kind !== 'event') throw new Error(JSON.stringify(result));
    expect(result.event).toMatchObject({ type: 'event', name: 'signup', props: { plan: 'pro', seats: '3' }, eventTime: now - 300_000, timeFlagged: true });
  });

  it('says what is wrong with a refused line, naming the field as the collect endpoint does', () => {
    expect(eventFromLine('{"site":"demo","url":"not a url"}', context)).toEqual({ kind: 'rejected', reason: 'url: expected an absolute http(s) URL' });
    expect(eventFromLine('{"site":"demo","url":"https://example.com/","colour":"red"}', context)).toEqual({ kind: 'rejected', reason: 'colour: unknown field' });
    expect(eventFromLine('[1,2]', context)).toEqual({ kind: 'rejected', reason: 'expected a JSON object' });
    expect(eventFromLine('{"site":"demo","url":"https://example.com/","visitor":7}', context)).toEqual({ kind: 'rejected', reason: 'visitor: expected a string of 1 to 256 characters' });
    const badJson = eventFromLine('{"site":', context);
    expect(badJson.kind === 'rejected' && badJson.reason).toMatch(/^not valid JSON \(/);
  });

  it('refuses a site the gateway does not know, when it could be asked', () => {
    const known = { ...context, knownSites: new Set(['demo']) };
    expect(eventFromLine('{"site":"nope","url":"https://example.com/"}', known)).toEqual({ kind: 'rejected', reason: 'site: unknown site "nope"' });
    expect(eventFromLine('{"site":"demo","url":"https://example.com/"}', known).kind).toBe('event');
  });

  it('skips blank lines and refuses one longer than a collect request may be', () => {
    expect(eventFromLine('   ', context)).toEqual({ kind: 'blank' });
    expect(eventFromLine(JSON.stringify({ site: 'demo', url: 'https://example.com/', title: 'x'.repeat(2000) }), { ...context, maxBytes: 1024 })).toEqual({
      kind: 'rejected',
      reason: 'longer than 1024 bytes (COLLECT_MAX_BODY_BYTES)',
    });
  });
});
