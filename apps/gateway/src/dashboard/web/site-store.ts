/**
 * The sites this browser has opened, remembered in localStorage (site → dashboard token) so the
 * header can offer them. Only read-only dashboard tokens land here, never the admin token.
 */

const KEY = 'clickstream:dashboard:sites';
/** Site ids as the collect API accepts them; anything else in storage is dropped. */
const SITE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

export function knownSites(storage: StorageLike): Map<string, string> {
  const sites = new Map<string, string>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage.getItem(KEY) ?? '{}');
  } catch {
    return sites;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return sites;
  for (const [site, token] of Object.entries(parsed as Record<string, unknown>)) {
    if (SITE_ID.test(site) && typeof token === 'string' && token !== '') sites.set(site, token);
  }
  return sites;
}

function save(storage: StorageLike, sites: Map<string, string>): Map<string, string> {
  const sorted = new Map([...sites].sort(([a], [b]) => a.localeCompare(b)));
  try {
    storage.setItem(KEY, JSON.stringify(Object.fromEntries(sorted)));
  } catch {
    // storage full or disabled (private mode): the picker just forgets
  }
  return sorted;
}

/** Records a site and its token; returns every known site, sorted by id. */
export function rememberSite(storage: StorageLike, site: string, token: string): Map<string, string> {
  const sites = knownSites(storage);
  if (SITE_ID.test(site) && token !== '') sites.set(site, token);
  return save(storage, sites);
}

/** Drops a site whose stored token was refused (rotated); a different token stored meanwhile stays. */
export function forgetSite(storage: StorageLike, site: string, token: string): Map<string, string> {
  const sites = knownSites(storage);
  if (sites.get(site) === token) sites.delete(site);
  return save(storage, sites);
}

/** The dashboard link of a site: the share link format `/?site=&token=`. */
export const siteLink = (site: string, token: string, extra: Record<string, string> = {}): string => `/?${new URLSearchParams({ site, token, ...extra })}`;
