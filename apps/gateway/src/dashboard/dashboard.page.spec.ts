import { describe, expect, it } from 'vitest';
import { BREAKDOWN_DIMENSIONS } from './web/api.js';
import { DASHBOARD_TABLES, dashboardPage } from './dashboard.page.js';

const assets = { ingestUrl: 'https://ingest.example', scriptUrl: '/assets/dashboard.js?v=1', styleUrl: '/assets/dashboard.css?v=1' };

describe('dashboardPage', () => {
  it('links the built script and stylesheet, with no inline script or style', () => {
    const html = dashboardPage(assets);
    expect(html).toContain('<script defer src="/assets/dashboard.js?v=1"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/dashboard.css?v=1">');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
  });

  it('hands the ingest URL to the script as an escaped data attribute', () => {
    const html = dashboardPage({ ...assets, ingestUrl: 'https://x.example/"><script>alert(1)</script>' });
    expect(html).toContain('data-ingest-url="https://x.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('has the elements the script and the tests look for, and a table per breakdown dimension it shows', () => {
    const html = dashboardPage(assets);
    for (const id of ['status', 'today', 'minute', 'visitors-now', 'site-picker', 'seconds-chart', 'range-chart', 'total-pageviews', 'total-visitors', 'total-sessions', 'total-bounce', 'total-duration', 'snippet', 'ops-lag', 'ops-dead-letters', 'filters', 'filter-chips', 'filters-clear', 'live-unfiltered', 'history-error']) {
      expect(html).toContain(`id="${id}"`);
    }
    for (const t of DASHBOARD_TABLES) {
      expect(html).toContain(`<table id="${t.id}" data-dimension="${t.dimension}">`);
      expect(BREAKDOWN_DIMENSIONS).toContain(t.dimension);
    }
    expect(DASHBOARD_TABLES.map((t) => t.id)).toEqual(expect.arrayContaining(['top-pages', 'top-events']));
  });

  it('starts with the filter chips and the unfiltered-live notes hidden (the script shows them under filters)', () => {
    const html = dashboardPage(assets);
    expect(html).toMatch(/<section id="filters"[^>]* hidden>/);
    expect(html).toMatch(/<p id="live-unfiltered"[^>]* hidden>Live figures: all traffic, filters not applied<\/p>/);
    const tags = html.match(/<span class="unfiltered-tag"[^>]*>/g) ?? [];
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(tag).toContain(' hidden');
  });
});
