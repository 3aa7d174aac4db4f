/** Types for scripts/build-tracker.mjs, so TypeScript tests and setup can import it. */
export declare function buildTracker(): Promise<{ file: string; bytes: number; gzipBytes: number }>;
