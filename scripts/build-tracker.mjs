// Builds the browser trackers into dist/tracker/: our own (libs/tracker/src/browser/tracker.ts ->
// tracker.js) and the stand-in served at Plausible's and Umami's script paths (compat.ts -> compat.js),
// each one minified IIFE for es2017 browsers. Importable (buildTracker) and runnable on its own.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} name @returns {Promise<{ file: string; bytes: number; gzipBytes: number }>} */
async function buildOne(name) {
  const file = join(root, 'dist', 'tracker', `${name}.js`);
  const result = await build({
    entryPoints: [join(root, 'libs', 'tracker', 'src', 'browser', `${name}.ts`)],
    outfile: file,
    write: false,
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2017',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  // write then rename: a server or test reading the file meanwhile never sees half of it
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.${process.pid}.tmp`, code);
  renameSync(`${file}.${process.pid}.tmp`, file);
  return { file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/**
 * Our tracker's file and sizes at the top level (as before), the compat tracker's under `compat`.
 * @returns {Promise<{ file: string; bytes: number; gzipBytes: number; compat: { file: string; bytes: number; gzipBytes: number } }>}
 */
export async function buildTracker() {
  const [tracker, compat] = await Promise.all([buildOne('tracker'), buildOne('compat')]);
  return { ...tracker, compat };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildTracker();
  for (const { file, bytes, gzipBytes } of [built, built.compat]) console.log(`${relative(root, file)}: ${bytes} bytes, ${gzipBytes} bytes gzipped`);
}
