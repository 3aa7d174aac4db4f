import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DashboardAsset {
  body: string;
  /** A short content hash: the page links `?v=<hash>`, so a new build is never served from a stale cache. */
  version: string;
}

export interface DashboardAssets {
  script: DashboardAsset;
  style: DashboardAsset;
}

/** The built dashboard (dist/dashboard/, from scripts/build-dashboard.mjs), read once at start-up. */
export function readDashboardAssets(root: string): DashboardAssets {
  const dir = join(root, 'dist', 'dashboard');
  const read = (name: string): DashboardAsset => {
    const file = join(dir, name);
    if (!existsSync(file)) throw new Error(`dashboard not built: ${file} is missing; run npm run build`);
    const body = readFileSync(file, 'utf8');
    return { body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
  };
  return { script: read('dashboard.js'), style: read('dashboard.css') };
}
