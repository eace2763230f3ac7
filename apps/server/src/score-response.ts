import type { RequestContext } from './request-context.js';

/**
 * The `/v1/score` answer written without a response object and without `JSON.stringify` of one: the JSON text is
 * assembled from prebuilt fragments in the order of ScoreResponseSchema (`JSON.parse` of it equals the object the
 * schema describes; a test compares the two on every outcome). Strings that come from the client (`id`) or from a
 * configuration (model version, rule names) go through `JSON.stringify`; the rest are numbers and fixed names.
 */
export function scoreResponseJson(
  idJson: string,
  decisionId: string,
  score: number | null,
  decision: string,
  reasonsJson: string,
  modelVersionJson: string,
  latencyUs: number,
  outcome: string,
): string {
  // Note: one template literal is one allocation of the result; the parts are already strings or small numbers.
  return `{"id":${idJson},"decisionId":"${decisionId}","score":${score === null ? 'null' : String(score)},"decision":"${decision}","reasons":${reasonsJson},"modelVersion":${modelVersionJson},"latencyUs":${latencyUs},"outcome":"${outcome}"}`;
}

/** JSON text of a reason list: `[]` without allocating when empty. */
export function reasonsJson(reasons: readonly string[]): string {
  return reasons.length === 0 ? '[]' : JSON.stringify(reasons);
}

/** Caches the JSON text of the last few version labels (there is one live at a time; a swap adds one). */
export class JsonStringCache {
  private readonly map = new Map<string, string>();
  /** The JSON text of `value`. */
  of(value: string): string {
    let json = this.map.get(value);
    if (json === undefined) {
      if (this.map.size >= 64) this.map.clear();
      json = JSON.stringify(value);
      this.map.set(value, json);
    }
    return json;
  }
}

let current: RequestContext | undefined;
let currentBody = '';
// The fixed header names and values as bytes, encoded once: uWS copies bytes as they are, where a string would be
// converted to UTF-8 on every call.
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const X_REQUEST_ID = bytes('X-Request-Id');
const CONTENT_TYPE = bytes('Content-Type');
const JSON_UTF8 = bytes('application/json; charset=utf-8');
const CACHE_CONTROL = bytes('Cache-Control');
const NO_STORE = bytes('no-store');
const NOSNIFF_NAME = bytes('X-Content-Type-Options');
const NOSNIFF = bytes('nosniff');
const writeCorked = (): void => {
  const c = current as RequestContext;
  // 200 is uWS's default status line: no writeStatus call.
  c.res.writeHeader(X_REQUEST_ID, c.requestId);
  c.res.writeHeader(CONTENT_TYPE, JSON_UTF8);
  c.res.writeHeader(CACHE_CONTROL, NO_STORE);
  c.res.writeHeader(NOSNIFF_NAME, NOSNIFF);
  c.res.end(currentBody, false);
};

/**
 * Writes a 200 JSON response with the API's headers (those of `replyJson`) in one `cork`, unless the client has gone
 * or a response was written already. Same effect as `replyJson(context, 200, …)` without its per-call objects and
 * closure (the corked writer is one shared function; `cork` runs it synchronously).
 */
export function replyJson200(context: RequestContext, body: string): void {
  if (context.aborted || context.responded) return;
  context.responded = true;
  context.status = 200;
  current = context;
  currentBody = body;
  try {
    context.res.cork(writeCorked);
  } finally {
    current = undefined;
    currentBody = '';
  }
}
