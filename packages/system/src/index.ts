/** @fraudstream/system: the composition root, a source and the engine wired into one running system. */
export { createSystem, type EngineTuning, type System } from './create-system.js';
export { wireCases, type CaseStats, type CaseWiring, type CaseWiringOptions } from './case-wiring.js';
export { GatedSink } from './gated-sink.js';
export type { BucketSnapshot, CaseDesk, DecisionEvent, DecisionName, DrainedEvents, EngineTelemetry, FraudSystem, LiveConfig, RulesOrigin, ScenarioKind, SourceKind, Stats } from './fraud-system.js';
export { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from './fraud-system.js';
export { checkLaws, checkQuiescent, describeViolations, LATENCY_BUCKETS_S, type LawViolation } from '@fraudstream/engine';
export { RulesFileWatcher, readRulesFile, type RulesFileStatus } from './rules-file.js';
export { checkTps, validateSystemConfig, type SourceConfig, type SystemConfig } from './system-config.js';
export { Durability, DEFAULT_CHECKPOINT_INTERVAL_MS, CHECKPOINTS_KEPT, type DurabilityConfig, type DurabilityStats } from './durability.js';
export { CheckpointError, CHECKPOINTS_DIR, checkpointsDir, listCheckpoints, readCheckpointRecord, sourceStateName, type CheckpointRecord } from './checkpoint.js';
export { createKafkaSystem, type KafkaStats, type KafkaSystem, type RebalanceDrainStats } from './kafka-system.js';
export { KafkaCheckpoints, type AppliedOffset, type KafkaCheckpointStats } from './kafka-checkpoint.js';
export { validateKafkaSystemConfig, type KafkaSystemConfig } from './kafka-system-config.js';
export { ServedLogs, DEFAULT_FEATURE_LOG_SAMPLE, type ServedLogsOptions, type ServedLogsStats } from './served-logs.js';
export { SHADOW_DECISIONS_DIR, ShadowLog, shadowLogDir } from './shadow-log.js';
