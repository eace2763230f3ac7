import { NO_REASON, REASON_COUNT, resultReason, resultRules } from '@fraudstream/schema';
import { native } from './native.js';

/** The ordered feature names: a model's feature i and a reason index i name `featureNames[i]`. */
export const featureNames: readonly string[] = Object.freeze(native.featureNames());

/** The rule names: bit i of a result's rule mask is `ruleNames[i]`. */
export const ruleNames: readonly string[] = Object.freeze(native.ruleNames());

/**
 * The reasons of result `slot` in a results byte array, as names: the rules that fired (in bit order), then the
 * features with the largest contributions (up to three, alerts only). Allocates; call it for alerts, not per record.
 */
export function decodeReasons(results: Uint8Array, slot: number): string[] {
  const out: string[] = [];
  const mask = resultRules(results, slot);
  for (let bit = 0; bit < ruleNames.length; bit++) {
    if ((mask & (1 << bit)) !== 0) out.push(ruleNames[bit]!);
  }
  for (let i = 0; i < REASON_COUNT; i++) {
    const r = resultReason(results, slot, i);
    if (r === NO_REASON) continue;
    out.push(featureNames[r] ?? `feature#${r}`);
  }
  return out;
}
