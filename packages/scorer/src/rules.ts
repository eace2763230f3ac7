/**
 * Live rules, allow/block lists and decision bundles: checks and conversions that need no scorer. The scorer's own
 * methods (`setRules`, `ruleStats`, `loadBundle`) are on {@link Scorer}.
 */
import { native } from './native.js';

/** One rule of a rule set with its live hit count. */
export interface RuleInfo {
  name: string;
  /** `flag` (counted only), `review` or `decline`. */
  action: 'flag' | 'review' | 'decline';
  /** The expression as written. */
  source: string;
  /** Transactions it fired on since it went live (0 from {@link checkRules}). */
  hits: number;
}

/** Entries of one side of the allow/block lists, per kind. */
export interface ListSizes {
  cards: number;
  terminals: number;
  mccs: number;
  countries: number;
}

/** A rule set: its rules with hits, the list sizes and hits, and the scorer generation it went live with. */
export interface RulesInfo {
  /** The scorer's live generation (0 from {@link checkRules}). */
  generation: number;
  /** The live bundle's version ('' when none was loaded). */
  version: string;
  rules: RuleInfo[];
  allow: ListSizes;
  block: ListSizes;
  /** Transactions approved by the allow list. */
  allowHits: number;
  /** Transactions declined by the block list. */
  blockHits: number;
}

/** A checked or loaded decision bundle. */
export interface BundleInfo {
  /** The scorer generation it went live with (written into every result it decides); 0 from {@link checkBundle}. */
  generation: number;
  /** `name@` + the first 12 hex digits of the content hash: what every decision it makes carries. */
  version: string;
  name: string;
  /** `sha256:` + 64 hex digits. */
  hash: string;
  featureSet: string;
  /** Trees of the bundle's model (0: none, every score 0). */
  trees: number;
  /** The bundle's thresholds as written. */
  review: number;
  decline: number;
  /** Names of the bundle's rules in order (a result's rule byte indexes this). */
  rules: string[];
}

const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  return value;
};

/** Parses and checks a rules text; throws an Error naming the rule, line and column of the first problem. */
export function checkRules(rules: string): RulesInfo {
  return native.checkRules(text(rules, 'rules')) as RulesInfo;
}

/** Parses and checks a bundle's JSON text; throws an Error naming the field of the first problem. */
export function checkBundle(bundle: string): BundleInfo {
  return native.checkBundle(text(bundle, 'bundle'));
}

/** The bundle's JSON text with its `hash` field set to its content hash (keys sorted). */
export function sealBundle(bundle: string): string {
  return native.sealBundle(text(bundle, 'bundle'));
}

/** The feature-set version a bundle must name (`fs<count>-<8 hex of the ordered feature names>`). */
export const featureSet: string = native.featureSet();

/** The XGBoost JSON form of a LightGBM text model (scores identically through the scorer). */
export function lightgbmToXgboost(model: string): string {
  return native.lightgbmToXgboost(text(model, 'model'));
}
