/** @fraudstream/system: the composition root, a source and the engine wired into one running system. */
export { createSystem, type EngineTuning, type System } from './create-system.js';
export type { DecisionEvent, DecisionName, DrainedEvents, FraudSystem, ScenarioKind, SourceKind, Stats } from './fraud-system.js';
export { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from './fraud-system.js';
export { checkLaws, checkQuiescent, describeViolations, type LawViolation } from '@fraudstream/engine';
export { checkTps, validateSystemConfig, type SourceConfig, type SystemConfig } from './system-config.js';
export { createKafkaSystem, type KafkaStats, type KafkaSystem } from './kafka-system.js';
export { validateKafkaSystemConfig, type KafkaSystemConfig } from './kafka-system-config.js';
