import { describe, expect, it } from 'vitest';
import { decodeAggregateUpdate, encodeAggregateUpdate } from './window-update.js';

const T = Date.UTC(2026, 11, 7, 10, 0);
const sums = { pageviews: 5, customEvents: 2, botEvents: 1, sessions: 3, lateEvents: 0 };
const window = { kind: 'window' as const, site: 'demo', partition: 2, windowStart: T, windowSizeMs: 1000, offset: '41', final: false, metrics: sums };

describe('aggregate updates', () => {
  it('decodes what it encodes, windows and presence alike', () => {
    expect(decodeAggregateUpdate(encodeAggregateUpdate({ v: 3, ...window }))).toEqual({ v: 3, ...window });
    const presence = { v: 3 as const, kind: 'presence' as const, site: 'demo', partition: 0, at: T, visitors5m: 4, visitors30m: 9 };
    expect(decodeAggregateUpdate(encodeAggregateUpdate(presence))).toEqual(presence);
  });

  it('reads a version 2 window, which also carried a visitor sketch and breakdowns, to its sums', () => {
    const v2 = { v: 2, ...window, metrics: { ...sums, visitors: { kind: 'hll', p: 14, registers: 'AAAA' }, breakdowns: { page: { '/': 5 } } } };
    expect(decodeAggregateUpdate(Buffer.from(JSON.stringify(v2)))).toEqual({ v: 2, ...window });
  });

  it('refuses other versions, negative or fractional counts, a bad offset and anything not JSON', () => {
    const bad = [
      { v: 1, ...window },
      { v: 4, ...window },
      { v: 3, ...window, metrics: { ...sums, pageviews: -1 } },
      { v: 3, ...window, metrics: { ...sums, sessions: 1.5 } },
      { v: 3, ...window, metrics: { pageviews: 1 } },
      { v: 3, ...window, offset: '-3' },
      { v: 3, ...window, kind: 'other' },
    ];
    for (const record of bad) expect(decodeAggregateUpdate(Buffer.from(JSON.stringify(record))), JSON.stringify(record)).toBeUndefined();
    expect(decodeAggregateUpdate(Buffer.from('{"v":3'))).toBeUndefined();
    expect(decodeAggregateUpdate(null)).toBeUndefined();
  });
});
