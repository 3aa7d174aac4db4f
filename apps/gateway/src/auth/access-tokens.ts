import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Dashboard and admin tokens, derived from a secret: a site's token is an HMAC of its id and
 * token version, so nothing secret is stored per site and rotating is a version bump.
 */
export function dashboardToken(secret: string, site: string, version: number): string {
  return createHmac('sha256', secret).update(`dashboard|${site}|${version}`).digest('base64url').slice(0, 32);
}

export function derivedAdminToken(secret: string): string {
  return `admin_${createHmac('sha256', secret).update('admin').digest('base64url').slice(0, 32)}`;
}

/** Compares in constant time, so a wrong token's answer time says nothing about the right one. */
export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
