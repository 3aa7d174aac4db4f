import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';

export interface UserAgentFacts {
  browser: string | null;
  os: string | null;
  device: string;
  isBot: boolean;
}

const CACHE_SIZE = 5000;
/** Longer strings (abuse, not browsers) are parsed every time rather than kept: at most ~2.5 MB held. */
const CACHEABLE_LENGTH = 512;
const NO_AGENT: UserAgentFacts = Object.freeze({ browser: null, os: null, device: 'unknown', isBot: true });

/**
 * The most recently seen User-Agents and what they parse to: real traffic repeats a few hundred
 * strings, and parsing one (ua-parser-js and isbot's regular expressions) is the costliest step
 * of a hit. Oldest-first eviction keeps the memory bounded.
 */
const parsed = new Map<string, UserAgentFacts>();

/** Browser, OS and device type from a User-Agent header (ua-parser-js 1.x, MIT), and bot detection (isbot). */
export function parseUserAgent(userAgent: string | undefined): UserAgentFacts {
  if (!userAgent) return NO_AGENT;
  if (userAgent.length > CACHEABLE_LENGTH) return parseUncached(userAgent);
  let facts = parsed.get(userAgent);
  if (facts === undefined) {
    facts = Object.freeze(parseUncached(userAgent));
    if (parsed.size >= CACHE_SIZE) parsed.delete(parsed.keys().next().value!);
    parsed.set(userAgent, facts);
  }
  return facts;
}

function parseUncached(userAgent: string): UserAgentFacts {
  const ua = new UAParser(userAgent).getResult();
  return {
    browser: ua.browser.name ?? null,
    os: ua.os.name ?? null,
    // ua-parser leaves the type empty for desktop browsers
    device: ua.device.type ?? 'desktop',
    isBot: isbot(userAgent),
  };
}
