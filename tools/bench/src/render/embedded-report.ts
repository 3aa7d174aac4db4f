import type { BenchReport } from '../report.js';

/**
 * BENCHMARKS.md carries the report it was rendered from in an HTML comment, so a partial run
 * (`--only`) can replace its sections and render the whole page again without the others'
 * raw data. "--" may not appear in a comment; it only occurs inside JSON strings, where each "-"
 * followed by another is written as the escape \u002d.
 */
const START = '<!-- bench-report';
const END = '-->';

export function embedReport(markdown: string, report: BenchReport): string {
  // per-second lag samples stay in the JSON report; the page keeps the figures derived from them
  const json = JSON.stringify(report, (key, value: unknown) => (key === 'samples' && Array.isArray(value) ? undefined : value)).replace(/-(?=-)/g, '\\u002d');
  return `${markdown.trimEnd()}\n\n${START}\n${json}\n${END}\n`;
}

export function extractReport(markdown: string): BenchReport | undefined {
  const start = markdown.lastIndexOf(START);
  if (start === -1) return undefined;
  const end = markdown.indexOf(END, start + START.length);
  if (end === -1) return undefined;
  try {
    return JSON.parse(markdown.slice(start + START.length, end)) as BenchReport;
  } catch {
    return undefined;
  }
}
