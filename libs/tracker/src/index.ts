export { readTrackerScript, snippet } from './tracker-script.js';
