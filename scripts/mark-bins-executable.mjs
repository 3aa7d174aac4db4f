// Gives every file named in package.json's "bin" its execute bits. tsc writes them 0644, and npx
// reuses a link it made once: without this, `npx clickstream` answers "Permission denied" after
// a clean rebuild or a second clone into the same folder.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { bin = {} } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
for (const [name, path] of Object.entries(typeof bin === 'string' ? { bin } : bin)) {
  const file = resolve(root, path);
  chmodSync(file, statSync(file).mode | 0o111);
  if (!readFileSync(file, 'utf8').startsWith('#!')) throw new Error(`${path} (the ${name} command) has no #! line`);
}
