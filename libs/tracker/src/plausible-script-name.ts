/**
 * The variant names of Plausible's script builds, read from their file names as Plausible's own
 * server does: script.outbound-links.tagged-events.js is both variants, in any order.
 */
export const PLAUSIBLE_VARIANTS = [
  'hash',
  'outbound-links',
  'file-downloads',
  'tagged-events',
  'exclusions',
  'local',
  'manual',
  'pageview-props',
  'revenue',
  'compat',
] as const;

export type PlausibleVariant = (typeof PLAUSIBLE_VARIANTS)[number];

const FILE_NAME = /^(?:script|plausible)((?:\.[a-z-]+)*)\.js$/;

/**
 * The variants a Plausible script file name asks for (`script.js` and `plausible.js` ask for none),
 * or undefined when the name is not one of their scripts: an unknown or repeated variant.
 */
export function plausibleScriptVariants(fileName: string): PlausibleVariant[] | undefined {
  const match = FILE_NAME.exec(fileName);
  if (!match) return undefined;
  const names = match[1]!.split('.').slice(1);
  const known = new Set<string>(PLAUSIBLE_VARIANTS);
  if (names.some((n) => !known.has(n)) || new Set(names).size !== names.length) return undefined;
  return names as PlausibleVariant[];
}
