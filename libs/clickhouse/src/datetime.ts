/** ClickHouse DateTime64(3) text for a UTC epoch-ms value: '2026-11-25 04:01:02.345'. */
export function toDateTime64(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
}

