/** A JSON object, as another product's tracker sends one event per request. */
export type JsonObject = Record<string, unknown>;

export const isJsonObject = (x: unknown): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A field at fault and why: what a translation that cannot read an event returns. */
export interface FieldProblem {
  ok: false;
  field: string;
  detail: string;
}

export const fieldProblem = (field: string, detail: string): FieldProblem => ({ ok: false, field, detail });

/** The request body (text, as ingest reads every body) as one JSON object; anything else names `body`. */
export function jsonObjectBody(body: unknown): { ok: true; json: JsonObject } | FieldProblem {
  if (typeof body !== 'string' || body.trim() === '') return fieldProblem('body', 'expected a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return fieldProblem('body', 'the body is not valid JSON');
  }
  return isJsonObject(json) ? { ok: true, json } : fieldProblem('body', 'expected a JSON object');
}
