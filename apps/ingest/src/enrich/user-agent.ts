import { isbot } from 'isbot';
import { UAParser } from 'ua-parser-js';

export interface UserAgentFacts {
  browser: string | null;
  os: string | null;
  device: string;
  isBot: boolean;
}

/** Browser, OS and device type from a User-Agent header (ua-parser-js 1.x, MIT), and bot detection (isbot). */
export function parseUserAgent(userAgent: string | undefined): UserAgentFacts {
  if (!userAgent) return { browser: null, os: null, device: 'unknown', isBot: true };
  const ua = new UAParser(userAgent).getResult();
  return {
    browser: ua.browser.name ?? null,
    os: ua.os.name ?? null,
    // ua-parser leaves the type empty for desktop browsers
    device: ua.device.type ?? 'desktop',
    isBot: isbot(userAgent),
  };
}
