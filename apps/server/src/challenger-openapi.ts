/** The OpenAPI paths of the challenger routes (challenger-routes.ts), merged into the document by openapi.ts. */
import { MAX_BUNDLE_BYTES } from './challenger-routes.js';

type Json = Record<string, unknown>;

/** The document's own helpers, so these paths are written the same way as the others. */
export interface OpenApiHelpers {
  json: (schema: Json) => Json;
  ref: (name: string) => Json;
  err: (name: string) => Json;
  mutationErrors: Json;
}

const QUALITY: Json = {
  type: 'object',
  description: 'One bundle over the window of recent labelled transactions both scored: an alert (REVIEW/DECLINE) is a positive',
  properties: Object.fromEntries(
    ['labelled', 'frauds', 'tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'fpr', 'averagePrecision', 'alerts'].map((k) => [k, { type: 'number' }]),
  ),
};

const CHALLENGER: Json = {
  type: ['object', 'null'],
  description:
    'The challenger scored in shadow (null when none): its own counts (consumed, scored, invalid, labels, failed, inFlight, ' +
    'championDecided, approved, review, declined), agreement[champion][challenger] by decision code, the champion\'s outcomes ' +
    'on the same transactions, quality of both over the same window, and the most recent disagreements (cards as keyed references).',
  properties: {
    version: { type: 'string' },
    name: { type: 'string' },
    hash: { type: 'string' },
    loadedAtMs: { type: 'number' },
    counts: { type: 'object' },
    agreement: { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
    champion: { type: 'object' },
    quality: {
      type: 'object',
      properties: { window: { type: 'integer' }, unmatched: { type: 'integer' }, champion: QUALITY, challenger: QUALITY },
    },
    recent: { type: 'array', items: { type: 'object' } },
  },
};

/** `/api/challenger` and `/api/challenger/promote`. */
export function challengerPaths(h: OpenApiHelpers): Json {
  const security = [{}, { bearer: [] }];
  const bundleInfo = { type: 'object', description: 'BundleInfo: generation, version (name@hash12), name, hash, featureSet, trees, review, decline, rules' };
  return {
    '/api/challenger': {
      get: {
        summary: 'The challenger scored in shadow, with its live quality beside the champion\'s',
        responses: { '200': { description: '{challenger}', content: h.json({ type: 'object', required: ['challenger'], properties: { challenger: CHALLENGER } }) } },
      },
      put: {
        summary: 'Load (or replace) the challenger bundle',
        description:
          `A decision bundle (JSON, at most ${MAX_BUNDLE_BYTES} bytes), checked like start --bundle. From the next batch on every ` +
          'batch is also scored by it, with its own fresh card and terminal state; its decisions are counted and compared, never ' +
          'acted on (no sink, alert or case). A refused bundle leaves the live challenger in force; field names the culprit.',
        security,
        requestBody: { required: true, content: h.json({ type: 'object', description: 'fraudstream-bundle/1 (docs/architecture.md, Bundles and rules)' }) },
        responses: {
          '200': { description: '{bundle, challenger}', content: h.json({ type: 'object', required: ['bundle'], properties: { bundle: bundleInfo, challenger: CHALLENGER } }) },
          '400': h.err('BadRequest'),
          '503': h.err('Unavailable'),
          ...h.mutationErrors,
        },
      },
      delete: {
        summary: 'Remove the challenger (batches cut from now on are not shadowed)',
        security,
        responses: {
          '200': { description: '{removed: true}', content: h.json({ type: 'object', required: ['removed'] }) },
          '404': h.err('NotFound'),
          '503': h.err('Unavailable'),
          ...h.mutationErrors,
        },
      },
    },
    '/api/challenger/promote': {
      post: {
        summary: 'Promote the challenger: its bundle becomes the champion between batches; the old champion is dropped',
        description:
          'The champion keeps its own card and terminal state and swaps to the challenger bundle in one step between batches ' +
          '(like a bundle swap); decisions from the next batch on carry its version. The challenger slot is then empty.',
        security,
        responses: {
          '200': { description: '{champion}', content: h.json({ type: 'object', required: ['champion'], properties: { champion: bundleInfo } }) },
          '409': h.err('Conflict'),
          '503': h.err('Unavailable'),
          ...h.mutationErrors,
        },
      },
    },
  };
}
