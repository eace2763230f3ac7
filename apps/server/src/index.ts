/** @fraudstream/server: the uWebSockets.js HTTP/WebSocket server and the composition of engine and source. */
export type { DecisionEvent, DecisionName, DrainedEvents, FraudSystem, ScenarioKind, SourceKind, Stats } from './fraud-system.js';
export { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from './fraud-system.js';
export { HttpError, type HttpErrorBody, type HttpErrorCode } from './errors.js';
export { startServer, type RunningServer } from './server.js';
export { defaultStaticDir, type ServerOptions } from './server-options.js';
export type { HelloMessage, PushMetrics, UpdateMessage } from './push-hub.js';
export { installSignalHandlers, type Closable, type SignalHandlerOptions } from './signals.js';
export { createSystem } from './system.js';
export type { SourceConfig, SystemConfig } from './system-config.js';
export { isLoopbackHost } from './net-address.js';
