export { readTrackerScript, snippet } from './tracker-script.js';
export { readCompatScript, type CompatPaths } from './compat-script.js';
export { PLAUSIBLE_VARIANTS, plausibleScriptVariants, type PlausibleVariant } from './plausible-script-name.js';
