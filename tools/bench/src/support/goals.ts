/** A figure against its goal from the issue; `met` is false when the figure is missing. */
export interface Goal {
  name: string;
  value: number | null;
  goal: number;
  /** The figure must be at least (>=) or at most (<=) the goal. */
  direction: '>=' | '<=';
  unit: string;
  met: boolean;
}

/** What requests of `batch` events are called in goal names and tables. */
export const batchName = (batch: number): string => (batch === 1 ? 'single events' : `batches of ${batch}`);

export function goal(name: string, value: number | null, direction: Goal['direction'], target: number, unit: string): Goal {
  const met = value !== null && Number.isFinite(value) && (direction === '>=' ? value >= target : value <= target);
  return { name, value, goal: target, direction, unit, met };
}
