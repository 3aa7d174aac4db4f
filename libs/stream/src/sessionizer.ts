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
 */

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
}

interface VisitorSession {
  sessionId: string;
  started: number;
  /** Newest event time of the visitor. */
  lastEventTime: number;
  pageviews: number;
  exit: string;
}

export class Sessionizer {
  private readonly visitors = new Map<string, VisitorSession>();

  constructor(readonly gapMs: number) {}

  /** `page` is the path of a page view, null for other events. */
  assign(site: string, visitorId: string, eventId: string, eventTime: number, page: string | null): SessionFacts {
    const key = `${site}|${visitorId}`;
    const current = this.visitors.get(key);
    if (current && eventTime - current.lastEventTime <= this.gapMs) {
      const previousExit = current.exit;
      const durationAddedMs = Math.max(0, eventTime - current.lastEventTime);
      current.lastEventTime += durationAddedMs;
      if (page !== null) {
        current.pageviews += 1;
        current.exit = page;
      }
      this.touch(key, current);
      return { sessionId: current.sessionId, sessionStart: false, sessionStarted: current.started, sessionPageviews: current.pageviews, previousExit, durationAddedMs };
    }
    const pageviews = page === null ? 0 : 1;
    this.touch(key, { sessionId: eventId, started: eventTime, lastEventTime: eventTime, pageviews, exit: page ?? '' });
    return { sessionId: eventId, sessionStart: true, sessionStarted: eventTime, sessionPageviews: pageviews, previousExit: '', durationAddedMs: 0 };
  }

  /**
   * Replays a stored assignment (after a restart), so what follows continues the same sessions.
   * Rows stored before sessions kept their state (`sessionStarted` 0) rebuild it from the
   * restored events alone.
   */
  restore(site: string, visitorId: string, eventTime: number, page: string | null, facts: SessionFacts): void {
    const key = `${site}|${visitorId}`;
    const current = this.visitors.get(key);
    const same = current && current.sessionId === facts.sessionId ? current : undefined;
    const known = facts.sessionStarted !== 0;
    this.touch(key, {
      sessionId: facts.sessionId,
      started: known ? facts.sessionStarted : (same?.started ?? eventTime),
      lastEventTime: same ? Math.max(same.lastEventTime, eventTime) : eventTime,
      pageviews: known ? facts.sessionPageviews : (same?.pageviews ?? 0) + (page === null ? 0 : 1),
      exit: page ?? (known ? facts.previousExit : (same?.exit ?? '')),
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
