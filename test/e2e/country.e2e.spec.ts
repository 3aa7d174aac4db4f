import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_UA, eventually, startTestSystem, storedPageviews, type TestSystem } from '../support/test-system.js';

/**
 * Countries with no configuration: no COUNTRY_HEADER, no GEOIP_DB_PATH. The addresses are
 * public ones whose registration is common knowledge: Google's resolver (US) and the RIPE
 * NCC's web servers in Amsterdam (NL), over IPv4 and IPv6.
 */
const VISITS = [
  { ip: '8.8.8.8', country: 'US', page: '/a' },
  { ip: '2001:4860:4860::8888', country: 'US', page: '/b' },
  { ip: '193.0.6.139', country: 'NL', page: '/c' },
  { ip: '2001:67c:2e8:22::c100:68b', country: 'NL', page: '/d' },
  // a private address is in no registry: unknown
  { ip: '10.1.2.3', country: '', page: '/e' },
];

describe('countries out of the box', () => {
  let system: TestSystem;

  beforeAll(async () => {
    // the one setting: take the client address from X-Forwarded-For, as behind any proxy
    system = await startTestSystem({ TRUST_PROXY: '1' });
  });

  afterAll(async () => {
    await system?.stop();
    system?.cleanup();
  });

  it('resolves the country of a public address with the bundled database, IPv4 and IPv6', async () => {
    for (const v of VISITS) {
      const res = await fetch(`${system.ingestUrl}/api/collect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': BROWSER_UA, 'X-Forwarded-For': v.ip },
        body: JSON.stringify({ site: 'demo', url: `https://demo.example${v.page}` }),
      });
      expect(res.status, v.ip).toBe(202);
    }
    await eventually(async () => ((await storedPageviews(system, 'demo')) === VISITS.length ? true : undefined), 20_000, 'the page views stored');

    const expected = new Map<string, number>();
    // the breakdown lists known countries only: the private address counts in none
    for (const v of VISITS) if (v.country) expected.set(v.country, (expected.get(v.country) ?? 0) + 1);
    const url = `${system.gatewayUrl}/api/sites/demo/breakdown?dimension=country&from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${system.admin.token}` } });
    expect(res.status).toBe(200);
    const { rows } = (await res.json()) as { rows: { value: string; count: number }[] };
    expect(new Map(rows.map((r) => [r.value, r.count]))).toEqual(expected);
  });
});
