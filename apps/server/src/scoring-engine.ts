import type { Engine } from '@fraudstream/engine';
import type { FraudSystem } from '@fraudstream/system';

/** What the `/v1` routes use of the engine: the same ring, submit path and batch listeners as every other source. */
export type ScoringEngine = Pick<
  Engine,
  | 'submit'
  | 'flush'
  | 'onBatch'
  | 'sink'
  | 'records'
  | 'results'
  | 'addWriter'
  | 'reject'
  | 'currentModelVersion'
  | 'generationInfo'
  | 'options'
  | 'setInlineMaxBatch'
>;

/** The engine of a system composed by `createSystem` (which exposes it), or undefined for another `FraudSystem`. */
export function engineOf(system: FraudSystem): ScoringEngine | undefined {
  const engine = (system as FraudSystem & { engine?: unknown }).engine;
  if (typeof engine !== 'object' || engine === null) return undefined;
  const e = engine as Partial<ScoringEngine>;
  return typeof e.submit === 'function' && typeof e.onBatch === 'function' && typeof e.flush === 'function'
    ? (engine as ScoringEngine)
    : undefined;
}
