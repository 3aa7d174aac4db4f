import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConfig } from '@clickstream/config';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration variable with its default', () => {
    for (const v of describeConfig()) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${v.variable}\` |`));
      expect(row, v.variable).toBeDefined();
      if (v.default) expect(row, v.variable).toContain(`\`${v.default}\``);
    }
  });

  it('links documents and images that exist', () => {
    for (const [, target] of readme.matchAll(/\]\(([^)#:]+)\)/g)) {
      expect(() => readFileSync(new URL(`../${target}`, import.meta.url)), target).not.toThrow();
    }
  });
});
