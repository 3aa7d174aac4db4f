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

/** What a client gets on every (re)connection: the live state plus today's stored totals and top breakdowns. */
export interface LiveSnapshot extends LiveState {
  /** Today's totals from ClickHouse (bots excluded). */
  today: { pageviews: number; visitors: number; sessions: number; customEvents: number };
  /** Today's ten most frequent values per dimension (page views; custom events for `event`). */
  top: Record<string, { value: string; count: number }[]>;
}

export interface LiveServerEvents {
  /** Sent once on every (re)connection. */
  snapshot: (payload: LiveSnapshot) => void;
  /** Sent at most once per LIVE_EMIT_INTERVAL_MS per site while its figures change. */
  update: (payload: LiveState) => void;
}

export type LiveClientEvents = Record<string, never>;

export const roomOf = (site: string): string => `site:${site}`;
