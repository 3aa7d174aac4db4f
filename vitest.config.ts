import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const libs = ['events', 'config', 'kafka', 'clickhouse', 'stream', 'infra', 'logger', 'platform', 'tracker'];

export default defineConfig({
  plugins: [
    // Nest needs decorator metadata, which esbuild does not emit
    swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2023', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } } }),
  ],
  resolve: {
    alias: Object.fromEntries(libs.map((l) => [`@clickstream/${l}`, fileURLToPath(new URL(`./libs/${l}/src/index.ts`, import.meta.url))])),
  },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts', 'tools/**/*.spec.ts'], exclude: ['test/faults/**'], sequence: { groupOrder: 0 } } },
      // the crash test times recoveries under its own load: it runs once every other file is done
      { extends: true, test: { name: 'faults', include: ['test/faults/**/*.spec.ts'], sequence: { groupOrder: 1 } } },
    ],
    // one chDB data folder belongs to one process: every test file gets its own
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // the JSON report gives .ci/run its pass/fail counts
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
