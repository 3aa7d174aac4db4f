import { describe, expect, it } from 'vitest';
import { snippet } from '@clickstream/tracker';
import { breakdownLabel, formatChange, goalLabel, formatCount, formatDuration, formatEngagement, formatPercent, formatRevenue, snippetText } from './format.js';

describe('dashboard formatting', () => {
  it('writes counts as plain integers, with separators from 1,000, and a dash when unknown', () => {
    expect(formatCount(2)).toBe('2');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('–');
    expect(formatCount(Number.NaN)).toBe('–');
  });

  it('writes shares as whole percents and durations in s, m and h', () => {
    expect(formatPercent(0.4567)).toBe('46%');
    expect(formatPercent(undefined)).toBe('–');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3_720)).toBe('1h 02m');
    expect(formatDuration(-1)).toBe('–');
  });

  it('gives the same snippet as the tracker library', () => {
    expect(snippetText('https://ingest.example/', 'shop')).toBe(snippet('https://ingest.example/script.js', 'shop'));
  });
});

describe('breakdownLabel', () => {
  it('shows a stored path decoded, keeping the stored form as its title', () => {
    expect(breakdownLabel('page', '/caf%C3%A9')).toEqual({ label: '/café', title: '/caf%C3%A9' });
    expect(breakdownLabel('entryPage', '/%3Cscript%3Ealert(1)%3C/script%3E').label).toBe('/<script>alert(1)</script>');
    expect(breakdownLabel('page', '/plain')).toEqual({ label: '/plain' });
  });

  it('shows a path with a malformed escape as stored', () => {
    expect(breakdownLabel('page', '/100%')).toEqual({ label: '/100%' });
  });

  it('names empty values: a missing referrer is a direct visit', () => {
    expect(breakdownLabel('referrer', '')).toEqual({ label: 'Direct / none', placeholder: true });
    expect(breakdownLabel('utmSource', '')).toEqual({ label: '(not set)', placeholder: true });
  });

  it('writes country codes as names when the browser knows them', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    expect(breakdownLabel('country', 'DE', names)).toEqual({ label: 'Germany', title: 'DE' });
    expect(breakdownLabel('country', 'DE')).toEqual({ label: 'DE', title: 'DE' });
    expect(breakdownLabel('country', 'unknown', names).label).toBe('unknown');
  });

  it('leaves other values exactly as sent', () => {
    const name = '<img src=x onerror="alert(1)">';
    expect(breakdownLabel('event', name)).toEqual({ label: name });
  });

  it('writes a change against the compared period with its direction, the bounce rate falling being good news', () => {
    expect(formatChange(25, '%')).toEqual({ text: '▲ 25%', trend: 'good' });
    expect(formatChange(-66.7, '%')).toEqual({ text: '▼ 66.7%', trend: 'bad' });
    expect(formatChange(1234.5, '%')).toEqual({ text: '▲ 1,234.5%', trend: 'good' });
    expect(formatChange(-3.5, 'pts', true)).toEqual({ text: '▼ 3.5 pts', trend: 'good' });
    expect(formatChange(2, 'pts', true)).toEqual({ text: '▲ 2 pts', trend: 'bad' });
    expect(formatChange(0, '%')).toEqual({ text: '=', trend: 'flat' });
    expect(formatChange(null, '%')).toEqual({ text: 'new', trend: 'good' });
    expect(formatChange(undefined, '%')).toBeUndefined();
  });

  it('names a goal as it was set: a page visit, or an event with its property value', () => {
    expect(goalLabel({ page: '/thanks/*' })).toBe('Visit /thanks/*');
    expect(goalLabel({ event: 'signup' })).toBe('signup');
    expect(goalLabel({ event: 'signup', property: { key: 'plan', value: 'pro' } })).toBe('signup (plan = pro)');
  });
});

describe('engagement and revenue beside a count', () => {
  it('shows a page engagement only when it has some, and revenue per currency, never added up', () => {
    expect(formatEngagement(45, 65_000)).toBe('scrolled 45% · 1m 05s');
    expect(formatEngagement(0, null)).toBe('scrolled 0% · –');
    expect(formatEngagement(null, null)).toBe('');
    expect(formatRevenue([{ currency: 'EUR', amount: '12.5' }, { currency: 'USD', amount: '3' }])).toBe('12.5 EUR, 3 USD');
    expect(formatRevenue([])).toBe('');
    expect(formatRevenue(undefined)).toBe('');
  });
});
