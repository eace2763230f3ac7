export { Engine, type EngineStats, type DecidedBatch, type SubmitResult } from './engine.js';
export { type EngineOptions, type Thresholds, resolveOptions, checkThresholds } from './options.js';
export { type DecisionEvent, type DrainedEvents } from './decision-event.js';
export { type LatencySummary, summarize as summarizeLatency } from './latency-window.js';
export { type QualitySummary } from './quality.js';
export { RingSink } from './ring-sink.js';
export { EngineOptionsError, EngineClosedError } from './errors.js';
export { defaultModelPath } from './default-model.js';
