/** The socket.io events of the /live namespace; emits are checked against these maps. */

/** The live figures of one site, complete: each update replaces the previous one, so a lost update leaves no gap. */
export interface LiveState {
  site: string;
  serverTime: number;
  /** Start (UTC midnight) of the day `todayPageviews` covers. */
  dayStart: number;
  /** Page views since dayStart: stored counts merged with the live partials, exact. */
  todayPageviews: number;
  /** Page views per second over the last 60 seconds, oldest first; seconds without any are absent. */
  seconds: { windowStart: number; pageviews: number }[];
  /** Page views per minute over the last 30 minutes, oldest first; minutes without any are absent. */
  minutes: { windowStart: number; pageviews: number }[];
  /** Current visitors: seen in the last 5 and 30 minutes. */
  presence: { visitors5m: number; visitors30m: number };
}

export interface LiveServerEvents {
  /** Sent once on every (re)connection. */
  snapshot: (payload: LiveState) => void;
  /** Sent at most once per LIVE_EMIT_INTERVAL_MS per site while its figures change. */
  update: (payload: LiveState) => void;
}

export type LiveClientEvents = Record<string, never>;

export const roomOf = (site: string): string => `site:${site}`;
