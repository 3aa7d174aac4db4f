const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads a duration as operators write it: 500ms, 30s, 5m, 2h, 7d (a unit is required). */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS[match[2]!]!;
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : undefined;
}

/** The largest whole unit that states a duration exactly: 604800000 → 7d, 90000 → 90s. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Kafka's retention.ms: -1 keeps records forever. */
export function formatRetention(retentionMs: string | undefined): string {
  if (retentionMs === undefined) return '?';
  if (retentionMs === 'compact') return 'compacted';
  const ms = Number(retentionMs);
  return ms < 0 ? 'forever' : formatDuration(ms);
}
