/** The functions and column type of a visitor sketch: ClickHouse's uniqCombined at one precision. */
export interface VisitorSketch {
  type: string;
  /** The plain aggregate: the same count straight from raw rows. */
  count: string;
  /** The plain aggregate of the rows meeting a condition: `${countIf}(value, condition)`. */
  countIf: string;
  state: string;
  stateIf: string;
  mergeState: string;
  merge: string;
  mergeIf: string;
}

/** A state names its precision in its type, and only a merge naming the same one reads it. */
const sketchOf = (precision?: number): VisitorSketch => {
  const p = precision === undefined ? '' : `(${precision})`;
  return {
    type: `AggregateFunction(uniqCombined${p}, String)`,
    count: `uniqCombined${p}`,
    countIf: `uniqCombinedIf${p}`,
    state: `uniqCombinedState${p}`,
    stateIf: `uniqCombinedStateIf${p}`,
    mergeState: `uniqCombinedMergeState${p}`,
    merge: `uniqCombinedMerge${p}`,
    mergeIf: `uniqCombinedMergeIf${p}`,
  };
};

/**
 * The visitor sketch of every table since migration 9: exact up to 512 visitors (measured on the
 * engine: for strings it keeps 2^9 hashes before it switches), then a HyperLogLog of 2^14 registers
 * (about 0.8 % standard error, as the live view's sketch). The versions before used the function's default, 2^17 registers: eight times the bytes in every busy
 * bucket, which a 30-day read merges one per day and value.
 */
export const VISITOR_SKETCH: VisitorSketch = sketchOf(14);

/** The sketch of the migrations before 9: what they created, and what migration 9 reads to rebuild. */
export const SKETCH_BEFORE_V9: VisitorSketch = sketchOf();
