import { describe, expect, it } from 'vitest';
import { parseSiteAlias, siteAliasKey, siteAliasRecord, siteRecord, type SiteAlias } from '@clickstream/platform';
import { SiteAliasTable } from './site-alias-table.js';

const alias = (text: string): SiteAlias => parseSiteAlias(text)!;
const UUID = '5a0b6c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d';

describe('the aliases of the sites topic', () => {
  const records: [string, string][] = [
    ['blog', siteRecord({ name: 'My blog' })],
    ['shop', siteRecord({ name: 'shop' })],
    [siteAliasKey(alias('example.com')), siteAliasRecord('blog')],
    [siteAliasKey(alias(UUID)), siteAliasRecord('blog')],
    [siteAliasKey(alias('shop.example')), siteAliasRecord('shop')],
  ];

  it('tells which site holds an alias, whatever case it is written in', () => {
    const table = new SiteAliasTable(records);
    expect(table.holder(alias('Example.COM'))).toBe('blog');
    expect(table.holder(alias('shop.example'))).toBe('shop');
    expect(table.holder(alias('other.example'))).toBeUndefined();
  });

  it("lists a site's aliases sorted, with their kind, and no site record among them", () => {
    const table = new SiteAliasTable(records);
    expect(table.of('blog')).toEqual([
      { kind: 'umami', value: UUID },
      { kind: 'plausible', value: 'example.com' },
    ]);
    expect(table.of('shop')).toEqual([{ kind: 'plausible', value: 'shop.example' }]);
    expect(table.of('nowhere')).toEqual([]);
  });

  it('skips alias records that name no site, and site records whose value looks like an alias', () => {
    const table = new SiteAliasTable([
      [siteAliasKey(alias('a.example')), 'not json'],
      [siteAliasKey(alias('b.example')), JSON.stringify({ name: 'x' })],
      [siteAliasKey(alias('c.example')), undefined],
      ['c.example', siteAliasRecord('blog')],
      ['alias:not an alias', siteAliasRecord('blog')],
    ]);
    expect(table.holder(alias('a.example'))).toBeUndefined();
    expect(table.holder(alias('b.example'))).toBeUndefined();
    expect(table.holder(alias('c.example'))).toBeUndefined();
    expect(table.of('blog')).toEqual([]);
  });

  it('lets a site claim a free alias, claim its own again, and not take another site’s', () => {
    const table = new SiteAliasTable(records);
    expect(table.claim(alias('new.example'), 'blog')).toEqual({ outcome: 'new' });
    expect(table.claim(alias('EXAMPLE.com'), 'blog')).toEqual({ outcome: 'held' });
    expect(table.claim(alias('example.com'), 'shop')).toEqual({ outcome: 'taken', by: 'blog' });
  });
});
