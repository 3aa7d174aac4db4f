/** The socket.io events of the /live namespace; emits are checked against these maps. */

export interface LiveWindowPayload {
  site: string;
  windowStart: number;
  windowSizeMs: number;
  /** Total of the window over all partitions; replaces any earlier value for the same window. */
  pageviews: number;
  final: boolean;
}

export interface LiveSnapshotPayload {
  site: string;
  serverTime: number;
  /** Start (UTC midnight) of the day `todayPageviews` covers. */
  dayStart: number;
  todayPageviews: number;
  /** Per-second totals of the last minute; later `window` events replace these. */
  windows: { windowStart: number; pageviews: number }[];
  windowSizeMs: number;
}

export interface LiveServerEvents {
  snapshot: (payload: LiveSnapshotPayload) => void;
  window: (payload: LiveWindowPayload) => void;
}

export type LiveClientEvents = Record<string, never>;

export const roomOf = (site: string): string => `site:${site}`;
