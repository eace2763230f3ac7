/**
 * The rules and bundle routes: `GET/PUT /api/rules` (the rule language as text) and `GET/PUT /api/bundle` (a decision
 * bundle's JSON). A PUT is checked in full before anything changes (a bad text is a 400 naming the rule, line and
 * column, or the bundle field, and the live set stays); a good one is swapped in between batches without stopping the
 * stream. The GETs are data routes (the rules text can name cards): the read guard of `/metrics` applies.
 */
import { checkBundle, checkRules, type RuleInfo, type RulesInfo } from '@fraudstream/scorer';
import type { FraudSystem, LiveConfig, RulesFileStatus } from '@fraudstream/system';
import type { Route } from './api-routes.js';
import { HttpError } from './errors.js';
import { replyJson } from './http-reply.js';
import { authorizeRead } from './read-auth.js';
import type { RequestContext } from './request-context.js';

/** Largest `PUT /api/rules` body in bytes: the scorer's own bound on a rules text (4 MiB). */
export const MAX_RULES_BODY = 4 << 20;
/** Largest `PUT /api/bundle` body in bytes (a bundle holds its model: XGBoost JSON of a few hundred trees fits). */
export const MAX_BUNDLE_BODY = 32 << 20;
/** Most rules the WebSocket stats and `/metrics` carry (text order); `GET /api/rules` carries them all (at most 250). */
export const MAX_PUSHED_RULES = 64;
/** Longest rule source the WebSocket stats carry, in characters (longer ones are cut and end in `…`). */
export const MAX_PUSHED_SOURCE = 200;

/** The stats' `rules` object: the live rules with hits, list sizes and hits, and the rules file's watcher. */
export type StatsRules = RulesInfo & { file?: RulesFileStatus };

/** The stats' rules bounded for the push: the first {@link MAX_PUSHED_RULES} rules, sources cut, and how many were left out. */
export function boundedRules(rules: StatsRules): StatsRules & { rulesOmitted: number } {
  const kept: RuleInfo[] = rules.rules.slice(0, MAX_PUSHED_RULES).map((r) =>
    r.source.length <= MAX_PUSHED_SOURCE ? r : { ...r, source: `${r.source.slice(0, MAX_PUSHED_SOURCE - 1)}…` },
  );
  return { ...rules, rules: kept, rulesOmitted: rules.rules.length - kept.length };
}

function liveConfig(system: FraudSystem): LiveConfig {
  if (system.liveConfig === undefined) throw new HttpError(503, 'service_unavailable', 'this system exposes no engine for the rules routes');
  return system.liveConfig();
}

/** `GET /api/rules` and the answer of a good `PUT`: the live text, origin, rules with hits, lists, generation. */
export function rulesJson(system: FraudSystem): Record<string, unknown> {
  const live = liveConfig(system);
  const stats = system.stats().rules;
  return {
    generation: stats.generation,
    // The label decisions of this generation carry (`modelVersion`): a bundle's name@hash or the model's version, with
    // `+rules@` + 8 hex digits of the text's SHA-256 once rules were set on top.
    version: live.version ?? stats.version,
    origin: live.rulesOrigin,
    text: live.rulesText,
    rules: stats.rules,
    allow: stats.allow,
    block: stats.block,
    allowHits: stats.allowHits,
    blockHits: stats.blockHits,
    ...(stats.file === undefined ? {} : { file: stats.file }),
  };
}

/** `GET /api/bundle`: the live generation and version, and the live bundle (null when none was loaded). */
export function bundleJson(system: FraudSystem): Record<string, unknown> {
  const live = liveConfig(system);
  const stats = system.ruleStats();
  return {
    generation: stats.generation,
    version: live.version ?? stats.version,
    bundle: live.bundle ?? null,
    // Rules set after the bundle (API or file) replace its rules and lists; its model and thresholds stay.
    rulesOrigin: live.rulesOrigin,
  };
}

/** The request body as UTF-8 text, or a 400 naming `field`. */
function utf8(body: Buffer, field: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'invalid_body', `${field} must be UTF-8 text`, { field });
  }
}

/** The checker's message as a 400: the rule language's errors name the rule, line and column; a bundle's its field. */
function invalid(error: unknown, field: string): HttpError {
  const message = error instanceof Error ? error.message : String(error);
  // `bundle.lists.block.country[2]: ...` names the field at fault; the rules errors all belong to `rules`.
  const named = /^(bundle(?:\.[A-Za-z_]+|\[\d+\])*)(?::| )/.exec(message)?.[1];
  return new HttpError(400, 'invalid_body', message, { field: named ?? field, cause: error });
}

/** The rules and bundle routes, by path; `token` is the server's (the GETs use the read guard). */
export function rulesRoutes(system: FraudSystem, token: string | undefined): [string, Route][] {
  const guardRead = (context: RequestContext): void => authorizeRead(context.headers, token);
  return [
    [
      '/api/rules',
      {
        get: (context) => {
          guardRead(context);
          replyJson(context, 200, rulesJson(system));
        },
        put: (context, body) => {
          const text = utf8(body, 'rules');
          // Checked without a scorer first: every error of the text is the client's (400); the swap itself can then
          // only fail for a reason of the server's (a closed engine: 500).
          try {
            checkRules(text);
          } catch (error) {
            throw invalid(error, 'rules');
          }
          liveConfig(system);
          system.setRules(text);
          replyJson(context, 200, rulesJson(system));
        },
        maxBody: MAX_RULES_BODY,
      },
    ],
    [
      '/api/bundle',
      {
        get: (context) => {
          guardRead(context);
          replyJson(context, 200, bundleJson(system));
        },
        put: (context, body) => {
          const text = utf8(body, 'bundle');
          try {
            checkBundle(text);
          } catch (error) {
            throw invalid(error, 'bundle');
          }
          liveConfig(system);
          system.swapBundle(text);
          replyJson(context, 200, bundleJson(system));
        },
        maxBody: MAX_BUNDLE_BODY,
      },
    ],
  ];
}
