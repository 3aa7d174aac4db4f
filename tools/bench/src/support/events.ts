import { createHash } from 'node:crypto';
import { checkCollectPayload, encodeEvent, toTrackedEvent, type TrackedEvent } from '@clickstream/events';
import type { OutgoingMessage } from '@clickstream/kafka';
import { parseUserAgent } from '../../../../apps/ingest/src/enrich/user-agent.js';
import { Traffic } from '../../../loadgen/src/traffic.js';

/**
 * Events as ingest produces them, from the load generator's realistic traffic: validated,
 * enriched (browser, OS, device, bot flag from the User-Agent; a visitor id per address and
 * browser) and encoded, keyed by site and visitor like ingest keys them.
 */
export function realisticEvents(options: { count: number; seed: number; site: string; topic: string; firstReceivedAt: number; spacingMs: number }): OutgoingMessage[] {
  const traffic = new Traffic({ sites: [options.site], visitors: 20_000, pages: 200, botShare: 0.05, customEventShare: 0.1, malformedShare: 0, seed: options.seed });
  const messages: OutgoingMessage[] = [];
  while (messages.length < options.count) {
    const request = traffic.next(1);
    const check = checkCollectPayload(request.events[0]!.body);
    if (!check.ok) continue;
    const receivedAt = Math.round(options.firstReceivedAt + messages.length * options.spacingMs);
    const visitorId = createHash('sha256').update(`${request.ip}|${request.userAgent}`).digest('hex').slice(0, 16);
    const event: TrackedEvent = toTrackedEvent(check.payload, { receivedAt, visitorId, ...parseUserAgent(request.userAgent), country: null }, 300_000);
    messages.push({ topic: options.topic, key: `${event.site}:${event.visitorId}`, value: encodeEvent(event) });
  }
  return messages;
}
