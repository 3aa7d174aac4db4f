/** Types for scripts/build-tracker.mjs, so TypeScript tests and setup can import it. */
export interface BuiltScript {
  file: string;
  bytes: number;
  gzipBytes: number;
}
/** Our tracker (dist/tracker/tracker.js) at the top level; the compat tracker (dist/tracker/compat.js) under `compat`. */
export declare function buildTracker(): Promise<BuiltScript & { compat: BuiltScript }>;
