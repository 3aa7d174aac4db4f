/** Types for scripts/build-dashboard.mjs, so TypeScript tests and setup can import it. */
interface BuiltFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}
export declare function buildDashboard(): Promise<{ script: BuiltFile; style: BuiltFile }>;
