/** @fraudstream/server: the uWebSockets.js HTTP/WebSocket server over a `FraudSystem` (see @fraudstream/system). */
export type { DecisionEvent, DecisionName, DrainedEvents, FraudSystem, ScenarioKind, SourceKind, Stats } from '@fraudstream/system';
export { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from '@fraudstream/system';
export { HttpError, type HttpErrorBody, type HttpErrorCode } from './errors.js';
export { startServer, type RunningServer } from './server.js';
export { defaultStaticDir, type ServerOptions } from './server-options.js';
export type { HelloMessage, PushMetrics, UpdateMessage } from './push-hub.js';
export { installSignalHandlers, type Closable, type SignalHandlerOptions } from './signals.js';
export { isLoopbackHost } from './net-address.js';
export { createLogger, LOG_LEVELS, type Logger } from './logger.js';
export { LATENCY_BUCKETS_S, renderMetrics, type ServerGauges } from './metrics.js';
export { PROMETHEUS_CONTENT_TYPE } from './metrics-route.js';
export { WS_PROTOCOL, WS_TOKEN_PREFIX } from './ws-guard.js';
export { formatMessage, WebhookSink, type WebhookCounts, type WebhookMessage, type WebhookOptions } from './webhook-sink.js';
