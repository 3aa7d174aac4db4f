import { describe, expect, it } from 'vitest';
import { parseReplayFrom } from './replay-from.js';

describe('parseReplayFrom', () => {
  it('reads earliest, an offset and an ISO-8601 time', () => {
    expect(parseReplayFrom('earliest')).toEqual({ earliest: true });
    expect(parseReplayFrom('1200')).toEqual({ offset: 1200n });
    expect(parseReplayFrom('2026-11-25T10:00:00Z')).toEqual({ timestamp: Date.UTC(2026, 10, 25, 10) });
  });

  it('refuses anything else with a message naming the argument', () => {
    expect(() => parseReplayFrom(undefined)).toThrow(/^from: required/);
    expect(() => parseReplayFrom('-5')).toThrow(/^from: expected earliest/);
    expect(() => parseReplayFrom('yesterday')).toThrow(/^from: expected earliest/);
    expect(() => parseReplayFrom('2026-13-45T99:00:00Z')).toThrow(/^from: "2026-13-45T99:00:00Z" is not a valid time/);
  });
});
