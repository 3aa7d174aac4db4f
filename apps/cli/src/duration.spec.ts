import { describe, expect, it } from 'vitest';
import { formatDuration, formatRetention, parseDuration } from './duration.js';

describe('durations', () => {
  it('reads a number with its unit', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('7d')).toBe(604_800_000);
  });

  it('refuses a bare number, a negative one or an unknown unit', () => {
    expect(parseDuration('30')).toBeUndefined();
    expect(parseDuration('-5s')).toBeUndefined();
    expect(parseDuration('3w')).toBeUndefined();
  });

  it('writes the largest unit that is exact', () => {
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('shows a retention of -1 as forever', () => {
    expect(formatRetention('-1')).toBe('forever');
    expect(formatRetention('604800000')).toBe('7d');
  });
});
