import { describe, expect, it } from 'vitest';
import { PLAUSIBLE_VARIANTS, plausibleScriptVariants } from './plausible-script-name.js';

describe('plausibleScriptVariants', () => {
  it.each(['script.js', 'plausible.js'])('reads %s as the plain script', (name) => {
    expect(plausibleScriptVariants(name)).toEqual([]);
  });

  it('reads every variant of Plausible, alone and under both names', () => {
    for (const variant of PLAUSIBLE_VARIANTS) {
      expect(plausibleScriptVariants(`script.${variant}.js`)).toEqual([variant]);
      expect(plausibleScriptVariants(`plausible.${variant}.js`)).toEqual([variant]);
    }
  });

  it('reads combined variants in any order', () => {
    expect(plausibleScriptVariants('script.outbound-links.file-downloads.tagged-events.js')).toEqual(['outbound-links', 'file-downloads', 'tagged-events']);
    expect(plausibleScriptVariants('script.tagged-events.hash.js')).toEqual(['tagged-events', 'hash']);
    expect(plausibleScriptVariants(`script.${PLAUSIBLE_VARIANTS.join('.')}.js`)).toEqual([...PLAUSIBLE_VARIANTS]);
  });

  it.each(['script.nope.js', 'script.hash.hash.js', 'script.hash.nope.js', 'other.js', 'script.js.map', 'script..js', 'script.HASH.js', 'tracker.hash.js'])('refuses %s', (name) => {
    expect(plausibleScriptVariants(name)).toBeUndefined();
  });
});
