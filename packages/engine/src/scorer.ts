import { fileURLToPath } from 'node:url';
import * as native from '@fraudstream/scorer';

/**
 * The typed surface of the Rust addon that the engine uses. The addon's generated `index.d.ts` is the source of
 * truth; this module only names what the engine relies on, so a change there fails the engine's build.
 */
export const scorer = {
  createScorer: native.createScorer,
  loadModel: native.loadModel,
  setThresholds: native.setThresholds,
  scoreBatch: native.scoreBatch,
  skipTicket: native.skipTicket,
  destroyScorer: native.destroyScorer,
  featureNames: native.featureNames,
  ruleNames: native.ruleNames,
};

/** Path of the default model shipped with the repository (`models/default.json`, see models/README.md). */
export function defaultModelPath(): string {
  return fileURLToPath(new URL('../../../models/default.json', import.meta.url));
}
