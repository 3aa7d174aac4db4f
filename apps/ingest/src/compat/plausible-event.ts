import { fieldProblem, isJsonObject, jsonObjectBody, type FieldProblem, type JsonObject } from './json-object-body.js';

/**
 * Plausible's tracker's event (POST /api/event), read into the collect API's format. Their
 * tracker sends short keys (`n`, `u`, `d`, `r`, `p`, `$`, `h`, `sd`, `e`), their server takes the
 * long ones too; unknown keys are ignored, as theirs ignores them. Only the translation is checked
 * here: the values go through the collect API's own validation afterwards, so a Plausible event
 * meets the same rules as ours.
 */

/** An event for each site that `domain` names, in the collect API's format less its `site`. */
export interface PlausibleEvent {
  domains: string[];
  event: Record<string, unknown>;
}

export type PlausibleRead = { ok: true; value: PlausibleEvent } | FieldProblem;

const fail = fieldProblem;

/** `props` and `revenue` come as an object, or from older trackers as that object's JSON text. */
function objectOrJsonText(value: unknown): JsonObject | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (isJsonObject(value)) return value;
  if (typeof value !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return isJsonObject(parsed) ? parsed : parsed === null ? undefined : null;
  } catch {
    return null;
  }
}

export function readPlausibleEvent(body: unknown): PlausibleRead {
  const read = jsonObjectBody(body);
  if (!read.ok) return read;
  const { json } = read;

  const name = json['n'] ?? json['name'];
  if (typeof name !== 'string' || name === '') return fail('name', name === undefined ? 'required' : 'expected a non-empty string');
  const url = json['u'] ?? json['url'];
  if (typeof url !== 'string') return fail('url', url === undefined ? 'required' : 'expected a string');
  const domain = json['d'] ?? json['domain'];
  if (typeof domain !== 'string') return fail('domain', domain === undefined ? 'required' : 'expected a string');
  const domains = [...new Set(domain.split(',').map((d) => d.trim()).filter((d) => d !== ''))];
  if (domains.length === 0) return fail('domain', 'expected one or more comma-separated domains');
  const referrer = json['r'] ?? json['referrer'];
  if (referrer !== undefined && referrer !== null && typeof referrer !== 'string') return fail('referrer', 'expected a string or null');

  const event: JsonObject = { url, referrer: referrer ?? null };
  const hash = json['h'] ?? json['hashMode'];
  if (hash === 1 || hash === true) event['hashRouting'] = true;

  if (name === 'engagement') {
    Object.assign(event, { type: 'engagement', scrollDepth: json['sd'], engagedMs: json['e'] });
    return { ok: true, value: { domains, event } };
  }
  event['type'] = name === 'pageview' ? 'pageview' : 'event';
  if (name !== 'pageview') event['name'] = name;
  const props = objectOrJsonText(json['p'] ?? json['props'] ?? json['m'] ?? json['meta']);
  if (props === null) return fail('props', 'expected an object of properties');
  // a property without a value is left out, as their server leaves it out
  const kept = props ? Object.entries(props).filter(([, v]) => v !== null && v !== undefined) : [];
  if (kept.length > 0) event['props'] = Object.fromEntries(kept);
  // revenue belongs to custom events (goals); their server ignores it on a page view
  if (name !== 'pageview') {
    const revenue = objectOrJsonText(json['$'] ?? json['revenue']);
    if (revenue === null) return fail('revenue', 'expected an object { amount, currency }');
    if (revenue) event['revenue'] = revenue;
  }
  return { ok: true, value: { domains, event } };
}
