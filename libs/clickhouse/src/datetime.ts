/** The last second formatted, 'YYYY-MM-DD hh:mm:ss.': events arrive in time order, so most share it with the one before. */
let lastSecond = Number.NaN;
let lastPrefix = '';

/**
 * ClickHouse DateTime64(3) text for a UTC epoch-ms value: '2026-11-25 04:01:02.345'. The
 * calendar part is computed once per second (a Date and its ISO string) and reused while the
 * values stay within that second; the milliseconds are appended each time.
 */
export function toDateTime64(epochMs: number): string {
  const ms = ((epochMs % 1000) + 1000) % 1000;
  const second = epochMs - ms;
  if (second !== lastSecond) {
    lastPrefix = new Date(second).toISOString().slice(0, 20).replace('T', ' ');
    lastSecond = second;
  }
  return lastPrefix + (ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`);
}
