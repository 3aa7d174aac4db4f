/** The socket.io events of the /live namespace; emits are checked against these maps. */

export interface LiveWindowPayload {
  site: string;
  windowStart: number;
  windowSizeMs: number;
  /** Totals of the window over all partitions; they replace any earlier values for the same window. */
  pageviews: number;
  visitors: number;
  customEvents: number;
  sessions: number;
  final: boolean;
}

/** Current visitors of a site: seen in the last 5 and 30 minutes (event time, at `at`). */
export interface LivePresencePayload {
  site: string;
  at: number;
  visitors5m: number;
  visitors30m: number;
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
  presence: LivePresencePayload;
}

export interface LiveServerEvents {
  snapshot: (payload: LiveSnapshotPayload) => void;
  window: (payload: LiveWindowPayload) => void;
  presence: (payload: LivePresencePayload) => void;
}

export type LiveClientEvents = Record<string, never>;

export const roomOf = (site: string): string => `site:${site}`;
