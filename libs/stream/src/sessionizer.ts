/**
 * Splits each visitor's events into sessions: a session ends after `gapMs` without an event
 * (30 minutes by default, as Google Analytics, Plausible and Umami count them).
 *
 * All of a visitor's events are on one partition (the events topic is keyed by site and
 * visitor) and are seen in offset order, so the assignment is a pure function of that order:
 * a replay of the same offsets gives the same sessions. The session id is the id of the
 * session's first event. An event older than the newest one of its visitor (out of order)
 * belongs to the current session; only a gap after the newest event starts a new one.
 */

export interface SessionFacts {
  sessionId: string;
  /** True for the first event of a session. */
  sessionStart: boolean;
}

interface VisitorSession {
  sessionId: string;
  /** Newest event time of the visitor. */
  lastEventTime: number;
}

export class Sessionizer {
  private readonly visitors = new Map<string, VisitorSession>();

  constructor(readonly gapMs: number) {}

  assign(site: string, visitorId: string, eventId: string, eventTime: number): SessionFacts {
    const key = `${site}|${visitorId}`;
    const current = this.visitors.get(key);
    if (current && eventTime - current.lastEventTime <= this.gapMs) {
      current.lastEventTime = Math.max(current.lastEventTime, eventTime);
      this.touch(key, current);
      return { sessionId: current.sessionId, sessionStart: false };
    }
    this.touch(key, { sessionId: eventId, lastEventTime: eventTime });
    return { sessionId: eventId, sessionStart: true };
  }

  /** Replays a stored assignment (after a restart), so what follows continues the same sessions. */
  restore(site: string, visitorId: string, eventTime: number, facts: SessionFacts): void {
    const key = `${site}|${visitorId}`;
    const current = this.visitors.get(key);
    const lastEventTime = current && current.sessionId === facts.sessionId ? Math.max(current.lastEventTime, eventTime) : eventTime;
    this.touch(key, { sessionId: facts.sessionId, lastEventTime });
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
