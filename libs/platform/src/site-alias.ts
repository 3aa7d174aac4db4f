/**
 * Site aliases: the names another product's tracker gives a site (a Plausible domain, an Umami
 * website id), each mapped to one of our sites. They live in the compacted sites topic beside the
 * sites themselves, under keys a site id can never take (site ids have no ':'), so every ingest
 * process reads them with its site list; a null record removes one.
 */

/** Which tracker names a site this way. */
export type SiteAliasKind = 'plausible' | 'umami';

export interface SiteAlias {
  kind: SiteAliasKind;
  /** The alias as stored and matched: lower case. */
  value: string;
}

const KEY_PREFIX = 'alias:';

/** An Umami website id: a UUID. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A Plausible domain: a host name (what its snippet's data-domain holds), no scheme, port or path. */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Reads an alias as an admin or a tracker wrote it; undefined when it is neither a UUID nor a host name. */
export function parseSiteAlias(text: string): SiteAlias | undefined {
  const value = text.trim().toLowerCase();
  if (UUID.test(value)) return { kind: 'umami', value };
  if (DOMAIN.test(value)) return { kind: 'plausible', value };
  return undefined;
}

/** Why `parseSiteAlias` refused a text, for a 400 naming the field. */
export const SITE_ALIAS_RULE = 'expected a Plausible domain (a host name such as example.com) or an Umami website id (a UUID)';

/** The sites-topic key of an alias. */
export const siteAliasKey = (alias: SiteAlias): string => `${KEY_PREFIX}${alias.value}`;

/** Whether a sites-topic key is an alias's rather than a site's. */
export const isSiteAliasKey = (key: string): boolean => key.startsWith(KEY_PREFIX);

/** The alias a sites-topic key holds; undefined for a site's key. */
export function siteAliasOfKey(key: string): SiteAlias | undefined {
  return isSiteAliasKey(key) ? parseSiteAlias(key.slice(KEY_PREFIX.length)) : undefined;
}

/** The sites-topic record of an alias: the site it names. */
export const siteAliasRecord = (site: string): string => JSON.stringify({ site });

/** The site an alias record names; undefined for a record that is not one. */
export function siteOfAliasRecord(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    const site = typeof parsed === 'object' && parsed !== null ? (parsed as { site?: unknown }).site : undefined;
    return typeof site === 'string' ? site : undefined;
  } catch {
    return undefined;
  }
}
