/**
 * A funnel step as text, pure and free of server code so the dashboard bundles the same reading:
 * `page:<path>` (a path as stored, `*` matching any run of characters) or `event:<name>` (a custom
 * event's name). Limits on lengths are the API's (funnel-steps.ts).
 */
export type FunnelStep = { kind: 'page'; path: string } | { kind: 'event'; name: string };

/** The step a text names, or undefined when it has neither prefix. */
export function readFunnelStep(text: string): FunnelStep | undefined {
  if (text.startsWith('page:')) return { kind: 'page', path: text.slice('page:'.length) };
  if (text.startsWith('event:')) return { kind: 'event', name: text.slice('event:'.length) };
  return undefined;
}
