/** A test's own count of the values it sent: how many of each, most first, ties by value (as breakdowns order rows). */
export function tally(values: readonly string[]): { value: string; count: number }[] {
  const by = new Map<string, number>();
  for (const v of values) by.set(v, (by.get(v) ?? 0) + 1);
  return [...by].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}
