/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the same JSON Schema objects the request validator uses
 * (api-schemas.ts). `docs/openapi.json` is this document as committed; a test regenerates it and compares.
 */
import { Limits } from '@fraudstream/schema';
import { COMPONENT_SCHEMAS } from './api-schemas.js';
import { MAX_BODY_BYTES } from './read-body.js';
import { challengerPaths } from './challenger-openapi.js';
import { MAX_BUNDLE_BODY, MAX_RULES_BODY } from './rules-routes.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const ok = (description: string, schemaName: string): Json => ({ description, content: json(ref(schemaName)) });
const err = (description: string): Json => ({ $ref: `#/components/responses/${description}` });

/** Error answers every mutating route may give (authentication, origin, body size, server failure). */
const MUTATION_ERRORS: Json = {
  '401': err('Unauthorized'),
  '403': err('Forbidden'),
  '405': err('MethodNotAllowed'),
  '413': err('PayloadTooLarge'),
  '500': err('InternalError'),
};

const BAD_REQUEST: Json = { '400': err('BadRequest') };

/** A POST with a JSON body checked against `schemaName`. */
function jsonPost(summary: string, schemaName: string | undefined, responses: Json, description?: string): Json {
  return {
    post: {
      summary,
      ...(description === undefined ? {} : { description }),
      security: [{}, { bearer: [] }],
      ...(schemaName === undefined
        ? {}
        : { requestBody: { required: true, content: json(ref(schemaName)) } }),
      responses: { ...responses, ...(schemaName === undefined ? {} : BAD_REQUEST), ...MUTATION_ERRORS },
    },
  };
}

/** Builds the document (a fresh object each call). */
export function openApiDocument(version = '0.1.0'): Json {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Fraudstream HTTP API',
      version,
      description:
        'Real-time card-fraud decisions. Every 4xx and 5xx answer has the body {"error":{"code","message","field?"}}. ' +
        'Mutating routes (POST, PUT, DELETE) need Authorization: Bearer <token> when the server has a token (always off loopback); ' +
        'a POST carrying an Origin must be same-origin, and without a token the Host must be a loopback name. ' +
        `JSON bodies are at most ${MAX_BODY_BYTES} bytes (a /v1/score transaction ${Limits.maxJsonBytes}); /v1/transactions ` +
        'is bounded by its own byte and line limits.',
    },
    servers: [{ url: 'http://127.0.0.1:8080' }],
    paths: {
      '/v1/score': jsonPost(
        'Score one transaction synchronously',
        'Transaction',
        {
          '200': ok('The decision (or, past the deadline, the fallback REVIEW with reason DEADLINE)', 'ScoreResponse'),
          '503': err('Unavailable'),
        },
        'The transaction goes through the same engine as streamed ones (card and terminal state update in ingest order). ' +
          'Concurrent requests are written into the engine as micro-batches. Past the per-request deadline the answer is ' +
          'the fallback REVIEW with reason DEADLINE and outcome "deadline"; the transaction is still decided by the engine ' +
          'and counted there once.',
      ),
      '/v1/transactions': {
        post: {
          summary: 'Ingest transactions in bulk (NDJSON, streamed)',
          description:
            'One transaction per line (the Transaction schema). Lines are validated and written into the engine as they ' +
            'arrive; a full engine slows the upload down (backpressure), nothing is dropped; an upload that starts while the ' +
            'case store is behind is refused whole with 503 and Retry-After. Invalid lines are listed with ' +
            'their line number and field (the first 100) and counted. Bounded in bytes and lines (413 past them).',
          security: [{}, { bearer: [] }],
          requestBody: {
            required: true,
            content: { 'application/x-ndjson': { schema: { type: 'string', description: 'newline-delimited Transaction objects' } } },
          },
          responses: { '200': ok('Totals and per-line errors', 'BulkSummary'), '503': err('Unavailable'), ...MUTATION_ERRORS },
        },
      },
      '/v1/labels': jsonPost(
        'Label a transaction (chargeback or analyst verdict)',
        'Label',
        {
          '202': ok('Written into the engine as a label record', 'LabelAccepted'),
          '404': err('NotFound'),
          '503': err('Unavailable'),
        },
        'The label updates card and terminal fraud state when it arrives. Name the transaction by transactionId (one taken ' +
          'in through /v1/score or /v1/transactions, among the most recent) or by cardId, terminalId and timestamp.',
      ),
      '/healthz': { get: { summary: 'Liveness', responses: { '200': ok('Alive', 'Health') } } },
      '/api/stats': { get: { summary: 'Stats: counts, rates, latency, quality, laws, API counters', responses: { '200': ok('Stats', 'Stats') } } },
      '/api/system/start': jsonPost('Start the source (idempotent)', undefined, { '200': ok('Stats', 'Stats') }),
      '/api/system/stop': jsonPost('Stop the source and drain (idempotent)', undefined, { '200': ok('Stats', 'Stats') }),
      '/api/generator': jsonPost('Set the generator rate', 'GeneratorRequest', { '200': ok('Stats', 'Stats'), '409': err('Conflict') }),
      '/api/thresholds': jsonPost('Set the score thresholds', 'ThresholdsRequest', { '200': ok('Stats', 'Stats') }),
      '/api/scenario': jsonPost('Inject an attack into the generator', 'ScenarioRequest', {
        '202': ok('Queued', 'ScenarioResponse'),
        '409': err('Conflict'),
      }),
      '/api/cases': {
        get: {
          summary: 'A page of cases (one per REVIEW/DECLINE decision): newest opened first, oldest first or riskiest first',
          parameters: [
            {
              name: 'order',
              in: 'query',
              schema: { type: 'string', enum: ['newest', 'oldest', 'score'] },
              description: 'newest (default) or oldest opened first, or highest score first (unscored fallback cases last); a cursor pages only its own order',
            },
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'confirmed_fraud', 'legitimate'] } },
            { name: 'cardRef', in: 'query', schema: { type: 'string', pattern: '^[0-9a-f]{16}$' } },
            { name: 'before', in: 'query', schema: { type: 'string' }, description: 'the `next` cursor of the previous page' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: {
            '200': { description: '{cases, next}', content: json({ type: 'object', required: ['cases', 'next'] }) },
            '400': err('BadRequest'),
            '409': err('Conflict'),
          },
        },
      },
      '/api/cases/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' }, description: 'the decision id' }],
        get: {
          summary: 'One case and its audit trail',
          responses: {
            '200': { description: '{case, history}', content: json({ type: 'object', required: ['case', 'history'] }) },
            '404': err('NotFound'),
            '409': err('Conflict'),
          },
        },
        post: {
          summary: "An analyst's verdict, appended to the case's audit trail and written into the engine as one label record",
          description:
            'A verdict (confirmed_fraud or legitimate) is accepted on an open case only and is final: the label record goes into ' +
            'the engine exactly once (card and terminal fraud state, and the live quality figures when this run decided the ' +
            'transaction). A second verdict, or a stale expectedVersion, is a 409 and changes nothing. The body is checked ' +
            'against CaseUpdateRequest; the first violation is a 400 naming the field.',
          security: [{}, { bearer: [] }],
          requestBody: { required: true, content: json(ref('CaseUpdateRequest')) },
          responses: {
            '200': ok('The case after the change, its audit trail and what happened to the label', 'CaseVerdictResponse'),
            '400': err('BadRequest'),
            '404': err('NotFound'),
            '409': err('Conflict'),
            '503': err('Unavailable'),
            ...MUTATION_ERRORS,
          },
        },
      },
      '/api/decisions': {
        get: {
          summary: 'Pages back through the decision log, newest first',
          parameters: [
            { name: 'decision', in: 'query', schema: { type: 'string' }, description: 'comma-separated APPROVE, REVIEW, DECLINE' },
            { name: 'cardRef', in: 'query', schema: { type: 'string', pattern: '^[0-9a-f]{16}$' }, description: "one card's decisions (its keyed card reference)" },
            { name: 'since', in: 'query', schema: { type: 'string' } },
            { name: 'until', in: 'query', schema: { type: 'string' } },
            { name: 'before', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: {
            '200': { description: '{decisions, next}', content: json({ type: 'object', required: ['decisions', 'next'] }) },
            '400': err('BadRequest'),
            '409': err('Conflict'),
          },
        },
      },
      ...challengerPaths({ json, ref, err, mutationErrors: MUTATION_ERRORS }),
      '/api/rules': {
        get: {
          summary: 'The live rules: text, origin, each rule with its hits, list sizes and hits, generation',
          description:
            'A data route: with a token configured it needs Authorization: Bearer <token> (the text can name cards). ' +
            'origin says what set the text: api (PUT /api/rules), file (the watched --rules file), bundle, or none.',
          security: [{}, { bearer: [] }],
          responses: { '200': ok('The live rules', 'RulesState'), '401': err('Unauthorized'), '403': err('Forbidden'), '503': err('Unavailable') },
        },
        put: {
          summary: 'Replace the live rules and allow/block lists (the rule language, as text)',
          description:
            `The body is the whole rules text (UTF-8, at most ${MAX_RULES_BODY} bytes). It is compiled in full first: an error is a ` +
            '400 whose message names the rule (or statement), line and column, and the live set stays. A good text is swapped ' +
            'in between batches without stopping the stream; its hit counters start at 0 and its decisions carry a new generation. ' +
            'With a watched --rules file the last writer wins: the API text stays until the file is saved again.',
          security: [{}, { bearer: [] }],
          requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string', maxLength: MAX_RULES_BODY } } } },
          responses: { '200': ok('The new live rules', 'RulesState'), '400': err('BadRequest'), '503': err('Unavailable'), ...MUTATION_ERRORS },
        },
      },
      '/api/bundle': {
        get: {
          summary: 'The live bundle: version, content hash, generation',
          security: [{}, { bearer: [] }],
          responses: { '200': ok('The live bundle', 'BundleState'), '401': err('Unauthorized'), '403': err('Forbidden'), '503': err('Unavailable') },
        },
        put: {
          summary: 'Swap the decision bundle (model, thresholds, rules, lists) atomically between batches',
          description:
            `The body is the bundle's JSON (format fraudstream-bundle/1, at most ${MAX_BUNDLE_BODY} bytes). It is checked in full ` +
            'first: an error is a 400 naming the bundle field (e.g. bundle.rules, bundle.thresholds) and the live bundle stays. ' +
            'Every decision carries the version (name@hash) of the bundle that made it.',
          security: [{}, { bearer: [] }],
          requestBody: { required: true, content: json({ type: 'object', description: 'a fraudstream-bundle/1 document' }) },
          responses: { '200': ok('The new live bundle', 'BundleState'), '400': err('BadRequest'), '503': err('Unavailable'), ...MUTATION_ERRORS },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } } } },
      '/ws': {
        get: {
          summary: 'WebSocket: stats, feed samples and alerts (~5 updates a second)',
          description:
            'Upgrade with Connection: Upgrade and Upgrade: websocket. The server sends {"type":"hello","stats"} then ' +
            '{"type":"update","stats","feed","alerts","alertsOmitted"} messages; clients send nothing.',
          responses: { '101': { description: 'Switching Protocols' }, '426': err('UpgradeRequired') },
        },
      },
      '/': {
        get: {
          summary: 'The dashboard (static files; unknown extension-less paths get index.html)',
          responses: {
            '200': { description: 'A static file', content: { 'text/html': { schema: { type: 'string' } } } },
            '403': err('Forbidden'),
            '404': err('NotFound'),
          },
        },
      },
    },
    components: {
      schemas: COMPONENT_SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the --token of the server' } },
      responses: Object.fromEntries(
        [
          ['BadRequest', 'The body is malformed or violates the schema; field names the culprit'],
          ['Unauthorized', 'A token is configured and the request lacks Authorization: Bearer <token>'],
          ['Forbidden', 'Cross-origin request, a Host that is not this machine, or a path leaving the static directory'],
          ['NotFound', 'No such route, file, or transaction'],
          ['MethodNotAllowed', 'Known path, wrong method; the Allow header lists the right ones'],
          ['Conflict', 'The request does not fit the current source or state'],
          ['PayloadTooLarge', 'The body is over its bound'],
          ['UpgradeRequired', 'A plain GET on /ws'],
          ['InternalError', 'Unexpected failure; the message is generic'],
          [
            'Unavailable',
            'The engine is overloaded (ring full past the wait) or not exposed by this system, or the system holds its inputs ' +
              'back because the case store is behind (then with Retry-After, in seconds: retry the same request then)',
          ],
        ].map(([name, description]) => [name, { description, content: json(ref('Error')) }]),
      ),
    },
  };
}

/** The document as the committed `docs/openapi.json` holds it (2-space indent, trailing newline). */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
