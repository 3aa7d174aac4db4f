export { TimeWindows } from './time-windows.js';
export { StreamProcessor, type StreamProcessorOptions, type EventFacts, type WindowUpdateOut, type PresenceOut } from './stream-processor.js';
export { WindowMetrics, type StreamEvent, type MetricsJson } from './window-metrics.js';
export { Sessionizer, type PageView, type SessionEntry, type SessionFacts } from './sessionizer.js';
export { Presence, PRESENCE_SPANS_MS, type PresenceCount } from './presence.js';
export { LiveWindowView, type LiveWindow } from './live-window-view.js';
export { SeenIds } from './seen-ids.js';
