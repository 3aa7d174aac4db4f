import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this code runs from (source or dist): the folder holding infra/kafka/pom.xml. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'infra', 'kafka', 'pom.xml')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (infra/kafka/pom.xml) above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
