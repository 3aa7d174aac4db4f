// Builds the dashboard (apps/gateway/src/dashboard/web/) into dist/dashboard/: dashboard.js, one
// minified IIFE for es2020 browsers with uPlot and socket.io-client bundled in, and dashboard.css
// with uPlot's stylesheet. Importable (buildDashboard) and runnable on its own.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps', 'gateway', 'src', 'dashboard', 'web');

/** @typedef {{ file: string; bytes: number; gzipBytes: number }} BuiltFile */

/** @returns {Promise<{ script: BuiltFile; style: BuiltFile }>} */
export async function buildDashboard() {
  const outdir = join(root, 'dist', 'dashboard');
  const result = await build({
    entryPoints: { dashboard: join(web, 'main.ts'), 'dashboard-style': join(web, 'dashboard.css') },
    outdir,
    write: false,
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const pick = (ext) => {
    const out = result.outputFiles.filter((f) => f.path.endsWith(ext));
    if (out.length !== 1) throw new Error(`expected one ${ext} output, got ${out.map((f) => f.path).join(', ')}`);
    return out[0].contents;
  };
  mkdirSync(outdir, { recursive: true });
  // write then rename: a server or test reading the file meanwhile never sees half of it
  const write = (name, code) => {
    const file = join(outdir, name);
    writeFileSync(`${file}.${process.pid}.tmp`, code);
    renameSync(`${file}.${process.pid}.tmp`, file);
    return { file, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
  };
  return { script: write('dashboard.js', pick('.js')), style: write('dashboard.css', pick('.css')) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildDashboard();
  for (const { file, bytes, gzipBytes } of [built.script, built.style]) console.log(`${relative(root, file)}: ${bytes} bytes, ${gzipBytes} bytes gzipped`);
}
