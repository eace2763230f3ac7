/**
 * Every request and response body of the HTTP API as JSON Schema (2020-12, OpenAPI 3.1's dialect): the one source of
 * truth. The request validator (json-schema.ts) checks bodies against these objects, and the OpenAPI document
 * (openapi.ts) is generated from the very same objects.
 */
import { CHANNEL_NAMES, DECISION_NAMES, Limits } from '@fraudstream/schema';
import { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from '@fraudstream/system';
import type { JsonSchema } from './json-schema.js';
import { BundleStateSchema, RulesStateSchema } from './rules-schemas.js';

/** An id as the schema package accepts it: 1 to 64 characters, or a non-negative integer (canonicalised). */
const idSchema = (description: string): JsonSchema => ({
  type: ['string', 'integer'],
  description,
  minLength: 1,
  maxLength: Limits.maxIdLength,
  minimum: 0,
});

/** Event time: ISO 8601 (with a zone, or UTC when none) or epoch milliseconds, 1970..2200. */
const timestampSchema: JsonSchema = {
  type: ['string', 'number'],
  description: 'an ISO 8601 date-time or epoch milliseconds, 1970..2200',
  minimum: Limits.minTimestampMs,
  maximum: Limits.maxTimestampMs,
  maxLength: 40,
};

/**
 * One card transaction (`POST /v1/score`, each line of `POST /v1/transactions`). Unknown fields are ignored, so a
 * producer may send more than the engine reads (as on the Kafka topic).
 */
export const TransactionSchema: JsonSchema = {
  type: 'object',
  description: 'One card transaction. Unknown fields are ignored.',
  required: ['id', 'cardId', 'terminalId', 'amount', 'timestamp'],
  properties: {
    id: idSchema('transaction id'),
    cardId: idSchema('card token (never a raw card number); never logged or returned'),
    terminalId: idSchema('terminal id'),
    amount: { type: 'number', description: 'amount in major units', minimum: 0, maximum: Limits.maxAmount },
    currency: { type: 'string', description: 'an ISO 4217 code of 3 upper-case letters (default EUR)', pattern: '^[A-Z]{3}$' },
    timestamp: timestampSchema,
    mcc: { type: 'integer', description: 'merchant category code', minimum: 0, maximum: 9999 },
    channel: { type: 'string', enum: CHANNEL_NAMES },
    cardPresent: { type: 'boolean' },
    country: { type: 'string', description: 'an ISO 3166 alpha-2 code of 2 upper-case letters', pattern: '^[A-Z]{2}$' },
    lat: { type: 'number', minimum: -90, maximum: 90 },
    lon: { type: 'number', minimum: -180, maximum: 180 },
  },
};

/**
 * A label (chargeback or analyst verdict): either the `transactionId` of a transaction that came in through this
 * API (`/v1/score` or `/v1/transactions`), or the card, terminal and event time of the labelled transaction.
 */
export const LabelSchema: JsonSchema = {
  type: 'object',
  description: 'A fraud label: transactionId, or cardId + terminalId + timestamp; and fraud.',
  required: ['fraud'],
  additionalProperties: false,
  properties: {
    transactionId: idSchema('id of a transaction submitted through /v1/score or /v1/transactions'),
    cardId: idSchema('card token of the labelled transaction'),
    terminalId: idSchema('terminal id of the labelled transaction'),
    timestamp: timestampSchema,
    fraud: { type: 'boolean', description: 'true: confirmed fraud (chargeback); false: confirmed legitimate' },
  },
  anyOf: [{ required: ['transactionId'] }, { required: ['cardId', 'terminalId', 'timestamp'] }],
};

/** The answer of `POST /v1/labels`. */
export const LabelAcceptedSchema: JsonSchema = {
  type: 'object',
  required: ['accepted', 'matchedBy'],
  properties: {
    accepted: { const: true },
    matchedBy: { type: 'string', enum: ['transactionId', 'card'], description: 'how the label found its transaction' },
  },
};

/** Reason names a decision may carry beyond rules and features. */
export const DEADLINE_REASON = 'DEADLINE';

/** The synchronous decision of `POST /v1/score`. */
export const ScoreResponseSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'decisionId', 'score', 'decision', 'reasons', 'modelVersion', 'latencyUs', 'outcome'],
  properties: {
    id: { type: 'string', description: 'the transaction id' },
    decisionId: {
      type: 'string',
      pattern: '^[0-9a-f]{32}$',
      description: 'deterministic: the first 128 bits of SHA-256 over a fixed prefix and the transaction id',
    },
    score: {
      type: ['number', 'null'],
      minimum: 0,
      maximum: 1,
      description: 'fraud probability; null when the decision is a fallback (deadline or scorer failure)',
    },
    decision: { type: 'string', enum: DECISION_NAMES },
    reasons: {
      type: 'array',
      items: { type: 'string' },
      description: 'rules that fired, then the features that contributed most (alerts only); DEADLINE or SCORER_ERROR for a fallback',
    },
    modelVersion: { type: 'string' },
    latencyUs: { type: 'integer', minimum: 0, description: 'request start to answer, microseconds' },
    outcome: {
      type: 'string',
      enum: ['scored', 'invalid', 'fallback', 'deadline'],
      description: 'scored by the model; invalid by the scorer checks; fallback after a scorer failure; deadline: the fallback REVIEW answered when the deadline passed',
    },
  },
};

/** The per-line errors and totals of `POST /v1/transactions`. */
export const BulkSummarySchema: JsonSchema = {
  type: 'object',
  required: ['accepted', 'rejected', 'errors', 'errorsOmitted'],
  properties: {
    accepted: { type: 'integer', minimum: 0, description: 'lines written into the engine' },
    rejected: { type: 'integer', minimum: 0, description: 'lines refused (each one counted by the engine as rejected)' },
    errors: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['line', 'field', 'message'],
        properties: {
          line: { type: 'integer', minimum: 1, description: '1-based line number' },
          field: { type: 'string', description: 'the field at fault; $ for the line as a whole' },
          message: { type: 'string' },
        },
      },
    },
    errorsOmitted: { type: 'integer', minimum: 0, description: 'errors beyond the first 100, counted only' },
  },
};

/** The one error shape of every 4xx and 5xx answer. */
export const ErrorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', description: 'stable machine-readable code, e.g. missing_field' },
        message: { type: 'string', description: 'a sentence for people; names the field when there is one' },
        field: { type: 'string', description: 'the request field at fault (dotted path), when there is one' },
      },
    },
  },
};

/** `POST /api/generator`. */
export const GeneratorRequestSchema: JsonSchema = {
  type: 'object',
  required: ['tps'],
  additionalProperties: false,
  properties: { tps: { type: 'number', minimum: MIN_GENERATOR_TPS, maximum: MAX_GENERATOR_TPS, description: 'transactions per second' } },
};

/** `POST /api/thresholds` (also `review <= decline`, checked after the schema). */
export const ThresholdsRequestSchema: JsonSchema = {
  type: 'object',
  required: ['review', 'decline'],
  additionalProperties: false,
  description: 'review <= decline',
  properties: {
    review: { type: 'number', minimum: 0, maximum: 1, description: 'REVIEW at or above this score' },
    decline: { type: 'number', minimum: 0, maximum: 1, description: 'DECLINE at or above this score' },
  },
};

/** `POST /api/scenario`. */
export const ScenarioRequestSchema: JsonSchema = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: { kind: { type: 'string', enum: ['card-testing', 'compromised-terminal'] } },
};

/** `GET /api/stats` and the control routes' answers: documented by its main fields; more may be present. */
export const StatsSchema: JsonSchema = {
  type: 'object',
  description: 'The system stats: independent counts, rates, latency, quality, queue, workers, conservation laws, and the scoring API counters (api).',
  required: ['running', 'uptimeS', 'source', 'counts', 'throughput', 'latencyMs', 'queue', 'workers', 'laws', 'api'],
  properties: {
    running: { type: 'boolean' },
    uptimeS: { type: 'number' },
    source: { type: 'object' },
    counts: { type: 'object' },
    throughput: { type: 'object' },
    latencyMs: { type: 'object' },
    queue: { type: 'object' },
    workers: { type: 'object' },
    laws: { type: 'object', required: ['ok', 'violations'], properties: { ok: { type: 'boolean' }, violations: { type: 'array' } } },
    api: { $ref: '#/components/schemas/ApiStats' },
  },
};

/** The scoring API's own counters, inside the stats as `api`. */
export const ApiStatsSchema: JsonSchema = {
  type: 'object',
  description: 'Counters kept by the server: deadline misses are answered with the fallback and never counted as scored.',
  required: ['score', 'bulk', 'labels'],
  properties: {
    score: {
      type: 'object',
      required: ['requests', 'answered', 'deadlineMisses', 'lateDecisions', 'batches', 'largestBatch', 'pending'],
      properties: {
        requests: { type: 'integer', description: 'valid transactions submitted through /v1/score' },
        answered: { type: 'integer', description: 'answered with the engine decision before the deadline' },
        deadlineMisses: { type: 'integer', description: 'answered with the fallback REVIEW / DEADLINE' },
        lateDecisions: { type: 'integer', description: 'engine decisions that arrived after their deadline answer' },
        batches: { type: 'integer', description: 'micro-batches the server flushed into the engine' },
        largestBatch: { type: 'integer' },
        pending: { type: 'integer', description: 'requests waiting for their decision' },
      },
    },
    bulk: { type: 'object', required: ['requests', 'accepted', 'rejected', 'pauses'], description: 'pauses: uploads paused while the ring was full' },
    labels: { type: 'object', required: ['accepted', 'unknown'] },
  },
};

/** `GET /healthz`. */
export const HealthSchema: JsonSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { const: 'ok' } },
};

/** `POST /api/scenario`'s answer. */
export const ScenarioResponseSchema: JsonSchema = {
  type: 'object',
  required: ['kind', 'queued', 'stats'],
  properties: { kind: { type: 'string' }, queued: { type: 'integer' }, stats: { $ref: '#/components/schemas/Stats' } },
};

/**
 * `POST /api/cases/:id`: an analyst's verdict or note. The route checks every body against this schema (the first
 * violation is a 400 naming the field), then the store's own rules (the same ones, for callers of the store).
 */
export const CaseUpdateRequestSchema: JsonSchema = {
  type: 'object',
  description:
    'A verdict (confirmed_fraud or legitimate) on an open case, written into the engine as one label record; final: ' +
    'a second verdict is a 409. status "open" on an open case records a note only. There are no user accounts: the ' +
    'API token is the authority, analyst is who the caller says it is, kept in the audit trail.',
  required: ['status', 'analyst'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['open', 'confirmed_fraud', 'legitimate'] },
    analyst: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: "^[\\p{L}\\p{N} ._@'-]+$",
      description: "the analyst's name: letters, digits, spaces or . _ @ ' -",
    },
    note: {
      type: 'string',
      maxLength: 2000,
      pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$',
      description: 'free text without control codes (tab and newlines allowed); replaces the case note, "" clears it',
    },
    expectedVersion: { type: 'integer', minimum: 1, description: 'the case version the verdict is based on (409 when stale)' },
  },
};

/** The answer of `POST /api/cases/:id`. */
export const CaseVerdictResponseSchema: JsonSchema = {
  type: 'object',
  required: ['case', 'history', 'label'],
  properties: {
    case: { type: 'object', description: 'the case after the change (as in GET /api/cases)' },
    history: { type: 'array', description: 'the audit trail, oldest first: {seq, at, actor, fromStatus, toStatus, note}' },
    label: {
      type: 'object',
      required: ['state', 'quality'],
      description: "what happened to the verdict's label record in the engine",
      properties: {
        state: { type: 'string', enum: ['written', 'queued', 'none'], description: 'queued: written as soon as the ring has room' },
        quality: { type: 'boolean', description: 'the label also counts in the live quality figures (decided by this run)' },
        reason: { type: 'string', description: 'why no label was written (state none)' },
      },
    },
  },
};

/** Every named schema, as `#/components/schemas/<name>` of the OpenAPI document. */
export const COMPONENT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Transaction: TransactionSchema,
  Label: LabelSchema,
  LabelAccepted: LabelAcceptedSchema,
  ScoreResponse: ScoreResponseSchema,
  BulkSummary: BulkSummarySchema,
  Error: ErrorSchema,
  GeneratorRequest: GeneratorRequestSchema,
  ThresholdsRequest: ThresholdsRequestSchema,
  ScenarioRequest: ScenarioRequestSchema,
  ScenarioResponse: ScenarioResponseSchema,
  Stats: StatsSchema,
  ApiStats: ApiStatsSchema,
  Health: HealthSchema,
  CaseUpdateRequest: CaseUpdateRequestSchema,
  CaseVerdictResponse: CaseVerdictResponseSchema,
  // The rules and bundle routes (rules-routes.ts).
  RulesState: RulesStateSchema,
  BundleState: BundleStateSchema,
};
