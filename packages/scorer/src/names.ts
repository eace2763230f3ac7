import { NO_REASON, REASON_COUNT, resultReason, resultRule, resultRules } from '@fraudstream/schema';
import { native } from './native.js';

/** The ordered feature names: a model's feature i and a reason index i name `featureNames[i]`. */
export const featureNames: readonly string[] = Object.freeze(native.featureNames());

/** The rule names: bit i of a result's rule mask is `ruleNames[i]`. */
export const ruleNames: readonly string[] = Object.freeze(native.ruleNames());

/** Bit of the DYNAMIC_RULE rule: a live rule decided; the result's rule byte names which. */
const DYNAMIC_RULE_BIT = ruleNames.indexOf('DYNAMIC_RULE');

/**
 * The reasons of result `slot` in a results byte array, as names: the rules that fired (in bit order), then the
 * features with the largest contributions (up to three, alerts only). A live rule that decided appears by its name
 * when `liveRules` (the rule names of the generation that decided, see `ResultViews.generation`) is given, else as
 * `DYNAMIC_RULE`. Allocates; call it for alerts, not per record.
 */
export function decodeReasons(results: Uint8Array, slot: number, liveRules?: readonly string[]): string[] {
  const out: string[] = [];
  const mask = resultRules(results, slot);
  for (let bit = 0; bit < ruleNames.length; bit++) {
    if ((mask & (1 << bit)) === 0) continue;
    const live = bit === DYNAMIC_RULE_BIT ? liveRules?.[resultRule(results, slot)] : undefined;
    out.push(live ?? ruleNames[bit]!);
  }
  for (let i = 0; i < REASON_COUNT; i++) {
    const r = resultReason(results, slot, i);
    if (r === NO_REASON) continue;
    out.push(featureNames[r] ?? `feature#${r}`);
  }
  return out;
}
