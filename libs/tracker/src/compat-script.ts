import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@clickstream/infra';

/** Stand in the built compat tracker for the drop-in endpoints' paths; the server fills them in when serving. */
export const PLAUSIBLE_PATH_PLACEHOLDER = '__CLICKSTREAM_PLAUSIBLE_PATH__';
export const UMAMI_PATH_PLACEHOLDER = '__CLICKSTREAM_UMAMI_PATH__';

/** Only URL path characters: the paths land inside JavaScript string literals. */
const URL_PATH = /^\/[A-Za-z0-9._~\/-]*$/;

export interface CompatPaths {
  /** Where ingest takes Plausible's events (PLAUSIBLE_EVENT_PATH). */
  plausibleEventPath: string;
  /** Where ingest takes Umami's events (UMAMI_SEND_PATH). */
  umamiSendPath: string;
}

/**
 * The built compat tracker (dist/tracker/compat.js, from scripts/build-tracker.mjs), served at
 * Plausible's and Umami's script paths, with the configured endpoint paths in place of its placeholders.
 */
export function readCompatScript(paths: CompatPaths): string {
  for (const [name, path] of Object.entries(paths)) {
    if (!URL_PATH.test(path)) throw new Error(`${name} must be a URL path like /api/event, got ${JSON.stringify(path)}`);
  }
  const file = join(projectRoot(), 'dist', 'tracker', 'compat.js');
  if (!existsSync(file)) throw new Error('compat tracker not built: run npm run build');
  return readFileSync(file, 'utf8').replaceAll(PLAUSIBLE_PATH_PLACEHOLDER, paths.plausibleEventPath).replaceAll(UMAMI_PATH_PLACEHOLDER, paths.umamiSendPath);
}
