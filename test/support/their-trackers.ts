import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@clickstream/infra';

export const UMAMI_VERSION = '2.10.0';

/**
 * Umami's own v2 tracker (src/tracker/index.js of the npm package umami@2.10.0, which runs in a
 * page as it is), fetched from the npm registry on first use with `npm pack` and kept in .cache,
 * as the Kafka jars are: none of their code is in our repository.
 */
export function umamiTrackerScript(): string {
  const dir = join(projectRoot(), '.cache', 'umami');
  const file = join(dir, `tracker-${UMAMI_VERSION}.js`);
  if (!existsSync(file)) {
    const staging = join(dir, `pack.${process.pid}.${Date.now()}`);
    mkdirSync(staging, { recursive: true });
    try {
      const tarball = execFileSync('npm', ['pack', `umami@${UMAMI_VERSION}`, '--silent', '--pack-destination', staging], { cwd: staging, encoding: 'utf8' }).trim().split('\n').pop()!;
      const source = execFileSync('tar', ['-xzOf', join(staging, tarball), 'package/src/tracker/index.js'], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (!source.includes('data-website-id') && !source.includes("'website-id'")) throw new Error(`umami@${UMAMI_VERSION}: src/tracker/index.js is not the tracker`);
      writeFileSync(`${file}.${process.pid}.tmp`, source);
      renameSync(`${file}.${process.pid}.tmp`, file);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return readFileSync(file, 'utf8');
}

/** Plausible's own tracker, the devDependency @plausible-analytics/tracker (their ESM build). */
export function plausibleTrackerModule(): string {
  return readFileSync(join(projectRoot(), 'node_modules', '@plausible-analytics', 'tracker', 'plausible.js'), 'utf8');
}
