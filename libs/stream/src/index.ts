export { TimeWindows } from './time-windows.js';
export {
  PageviewWindows,
  type PageviewRecord,
  type WindowCount,
  type PartitionSeed,
  type PageviewWindowsOptions,
} from './pageview-windows.js';
export { LiveWindowView, type LiveWindow } from './live-window-view.js';
export { SeenIds } from './seen-ids.js';
