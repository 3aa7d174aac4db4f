import { siteAliasOfKey, siteOfAliasRecord, type SiteAlias } from '@clickstream/platform';

/** What adding an alias to a site comes to, given who holds the alias now. */
export type AliasClaim = { outcome: 'new' } | { outcome: 'held' } | { outcome: 'taken'; by: string };

/**
 * The aliases in the sites topic, as a table: which site holds an alias, which aliases a site
 * has. Built from the topic's latest record per key; site records and malformed alias records
 * (no site named) are left out, so a site's key is never taken for an alias.
 */
export class SiteAliasTable {
  private readonly holders = new Map<string, { alias: SiteAlias; site: string }>();

  constructor(records: Iterable<readonly [key: string, value: string | undefined]>) {
    for (const [key, value] of records) {
      const alias = siteAliasOfKey(key);
      const site = siteOfAliasRecord(value);
      if (alias && site !== undefined) this.holders.set(alias.value, { alias, site });
    }
  }

  /** The site an alias names; undefined when no site holds it. */
  holder(alias: SiteAlias): string | undefined {
    return this.holders.get(alias.value)?.site;
  }

  /** A site's aliases, sorted by their text. */
  of(site: string): SiteAlias[] {
    return [...this.holders.values()]
      .filter((h) => h.site === site)
      .map((h) => h.alias)
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }

  /** Whether `site` may take `alias`: it is free, already the site's, or another site's. */
  claim(alias: SiteAlias, site: string): AliasClaim {
    const holder = this.holder(alias);
    if (holder === undefined) return { outcome: 'new' };
    return holder === site ? { outcome: 'held' } : { outcome: 'taken', by: holder };
  }
}
