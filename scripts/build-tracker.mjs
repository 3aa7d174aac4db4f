// Builds the browser tracker (libs/tracker/src/browser/tracker.ts) into dist/tracker/tracker.js:
// one minified IIFE for es2017 browsers. Importable (buildTracker) and runnable on its own.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @returns {Promise<{ file: string; bytes: number; gzipBytes: number }>} */
export async function buildTracker() {
  const file = join(root, 'dist', 'tracker', 'tracker.js');
  const result = await build({
    entryPoints: [join(root, 'libs', 'tracker', 'src', 'browser', 'tracker.ts')],
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, bytes, gzipBytes } = await buildTracker();
  console.log(`${relative(root, file)}: ${bytes} bytes, ${gzipBytes} bytes gzipped`);
}
