import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@clickstream/infra';

/** Stands in the built tracker for the collect path; the server fills it in when serving. */
export const COLLECT_PATH_PLACEHOLDER = '__CLICKSTREAM_COLLECT_PATH__';

/** Only URL path characters: the path lands inside a JavaScript string literal. */
const URL_PATH = /^\/[A-Za-z0-9._~\/-]*$/;

/** The one line a site owner pastes into their pages. */
export function snippet(scriptUrl: string, site: string): string {
  return `<script defer src="${scriptUrl}" data-site="${site}"></script>`;
}

/**
 * The built browser tracker (dist/tracker/tracker.js, from scripts/build-tracker.mjs) with the
 * configured collect path in place of its placeholder.
 */
export function readTrackerScript(collectPath: string): string {
  if (!URL_PATH.test(collectPath)) throw new Error(`collect path must be a URL path like /api/collect, got ${JSON.stringify(collectPath)}`);
  const file = join(projectRoot(), 'dist', 'tracker', 'tracker.js');
  if (!existsSync(file)) throw new Error('tracker not built: run npm run build');
  return readFileSync(file, 'utf8').replaceAll(COLLECT_PATH_PLACEHOLDER, collectPath);
}
