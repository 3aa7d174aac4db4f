/**
 * Splits each visitor's events into sessions: a session ends after `gapMs` without an event
 * (30 minutes by default, as Google Analytics, Plausible and Umami count them).
 *
 * All of a visitor's events are on one partition (the events topic is keyed by site and
 * visitor) and are seen in offset order, so the assignment is a pure function of that order:
 * a replay of the same offsets gives the same sessions. The session id is the id of the
 * session's first event. An event older than the newest one of its visitor (out of order)
 * belongs to the current session; only a gap after the newest event starts a new one.
 *
 * Each event also carries what it changed in its session, so storage sums a session's figures
 * without ever reading the session back: its start (the first event's time), its page views so
 * far, the exit page it replaced, and how far it moved the session's newest event time. The
 * entry page is the first page view in arrival order, the exit page the latest.
 *
 * Each event also carries its session's entry: the first page view's path and where the visit
 * came from (referrer domain and UTM source, medium, campaign), as known when the event arrived
 * (null before the session's first page view). A filter on a visit's source or entry page then
 * selects a session's rows by their own columns, never by looking the session up.
 */

/** A page view as the sessions see it: its path, and its source (the visit's when it is the first). */
export interface PageView {
  path: string;
  referrer: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
}

/** A session's first page view: its entry page and the visit's source ('' for none). */
export type SessionEntry = PageView;

export interface SessionFacts {
  sessionId: string;
  /** True for the first event of a session. */
  sessionStart: boolean;
  /** Event time of the session's first event: the session's figures are filed under it. */
  sessionStarted: number;
  /** The session's page views up to and including this event. */
  sessionPageviews: number;
  /** The session's exit page (its latest page view's path) before this event; '' before its first page view. */
  previousExit: string;
  /** How far this event moved the session's newest event time: a session's duration is the sum over its events. */
  durationAddedMs: number;
  /** The session's first page view, including this event; null while the session has none. */
  entry: SessionEntry | null;
}

interface VisitorSession {
  sessionId: string;
  started: number;
  /** Newest event time of the visitor. */
  lastEventTime: number;
  pageviews: number;
  exit: string;
  entry: SessionEntry | null;
}

export class Sessionizer {
  private readonly visitors = new Map<string, VisitorSession>();

  constructor(readonly gapMs: number) {}

  /** `page` is the event's page view, null for other events. */
  assign(site: string, visitorId: string, eventId: string, eventTime: number, page: PageView | null): SessionFacts {
    const key = `${site}|${visitorId}`;
    const current = this.visitors.get(key);
    if (current && eventTime - current.lastEventTime <= this.gapMs) {
      const previousExit = current.exit;
      const durationAddedMs = Math.max(0, eventTime - current.lastEventTime);
      current.lastEventTime += durationAddedMs;
      if (page !== null) {
        current.pageviews += 1;
        current.exit = page.path;
        current.entry ??= page;
      }
      this.touch(key, current);
      return { sessionId: current.sessionId, sessionStart: false, sessionStarted: current.started, sessionPageviews: current.pageviews, previousExit, durationAddedMs, entry: current.entry };
    }
    const pageviews = page === null ? 0 : 1;
    this.touch(key, { sessionId: eventId, started: eventTime, lastEventTime: eventTime, pageviews, exit: page?.path ?? '', entry: page });
    return { sessionId: eventId, sessionStart: true, sessionStarted: eventTime, sessionPageviews: pageviews, previousExit: '', durationAddedMs: 0, entry: page };
  }

  /**
   * The facts of the session an event at `eventTime` would belong to, changing nothing: for events
   * that are stored with their visit (so filters on its source or entry select them) but are no
   * activity of it (engagement reports). Outside any session, a session of its own that no figure
   * counts (not a start, no page views, no duration).
   */
  peek(site: string, visitorId: string, eventId: string, eventTime: number): SessionFacts {
    const current = this.visitors.get(`${site}|${visitorId}`);
    if (current && eventTime - current.lastEventTime <= this.gapMs) {
      return { sessionId: current.sessionId, sessionStart: false, sessionStarted: current.started, sessionPageviews: current.pageviews, previousExit: current.exit, durationAddedMs: 0, entry: current.entry };
    }
    return { sessionId: eventId, sessionStart: false, sessionStarted: eventTime, sessionPageviews: 0, previousExit: '', durationAddedMs: 0, entry: null };
  }

  /**
   * Replays a stored assignment (after a restart), so what follows continues the same sessions.
   * Rows stored before sessions kept their state (`sessionStarted` 0) rebuild it from the
   * restored events alone.
   */
  restore(site: string, visitorId: string, eventTime: number, page: PageView | null, facts: SessionFacts): void {
    const key = `${site}|${visitorId}`;
    const current = this.visitors.get(key);
    const same = current && current.sessionId === facts.sessionId ? current : undefined;
    const known = facts.sessionStarted !== 0;
    this.touch(key, {
      sessionId: facts.sessionId,
      started: known ? facts.sessionStarted : (same?.started ?? eventTime),
      lastEventTime: same ? Math.max(same.lastEventTime, eventTime) : eventTime,
      pageviews: known ? facts.sessionPageviews : (same?.pageviews ?? 0) + (page === null ? 0 : 1),
      exit: page?.path ?? (known ? facts.previousExit : (same?.exit ?? '')),
      // rows stored before entries were kept have none: the session's first restored page view stands in
      entry: facts.entry ?? same?.entry ?? page,
    });
  }

  /** Forgets visitors whose newest event is older than `before`: any later event of theirs starts a new session anyway. */
  evict(before: number): void {
    for (const [key, session] of this.visitors) {
      // entries are kept in order of their last update, which follows event time closely
      if (session.lastEventTime >= before) break;
      this.visitors.delete(key);
    }
  }

  get size(): number {
    return this.visitors.size;
  }

  private touch(key: string, session: VisitorSession): void {
    this.visitors.delete(key);
    this.visitors.set(key, session);
  }
}
