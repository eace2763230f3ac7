/** @fraudstream/server: the uWebSockets.js HTTP/WebSocket server over a `FraudSystem` (see @fraudstream/system). */
export type { DecisionEvent, DecisionName, DrainedEvents, FraudSystem, ScenarioKind, SourceKind, Stats } from '@fraudstream/system';
export { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from '@fraudstream/system';
export { HttpError, type HttpErrorBody, type HttpErrorCode } from './errors.js';
export { startServer, type RunningServer } from './server.js';
export { defaultStaticDir, type ServerOptions } from './server-options.js';
export type { HelloMessage, PushMetrics, UpdateMessage } from './push-hub.js';
export { installSignalHandlers, type Closable, type SignalHandlerOptions } from './signals.js';
export { isLoopbackHost } from './net-address.js';
export { openApiDocument, openApiText } from './openapi.js';
export { COMPONENT_SCHEMAS } from './api-schemas.js';
export { checkSchema, type JsonSchema, type SchemaViolation } from './json-schema.js';
export type { ApiStats, ScoreResponse } from './score-api.js';
export type { BulkSummary } from './bulk-ingest.js';
export type { ScoringOptions } from './scoring-options.js';
