import type { ChallengerStats } from '@fraudstream/engine';
import type { BundleInfo } from '@fraudstream/scorer';
import type { FraudSystem } from '@fraudstream/system';
import type { Route } from './api-routes.js';
import { HttpError } from './errors.js';
import { replyJson } from './http-reply.js';

/** Largest challenger bundle `PUT /api/challenger` accepts, in bytes (a bundle carries its model inline). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;

/** What the challenger routes use of the engine (see `Engine.setChallenger`). */
export interface ChallengerControl {
  setChallenger(bundle: string): BundleInfo;
  removeChallenger(): boolean;
  promoteChallenger(): BundleInfo;
}

/** The engine of a system composed by `createSystem` as a {@link ChallengerControl}, or undefined for another system. */
export function challengerOf(system: FraudSystem): ChallengerControl | undefined {
  const engine = (system as FraudSystem & { engine?: unknown }).engine;
  if (typeof engine !== 'object' || engine === null) return undefined;
  const e = engine as Partial<ChallengerControl>;
  return typeof e.setChallenger === 'function' && typeof e.removeChallenger === 'function' && typeof e.promoteChallenger === 'function'
    ? (engine as ChallengerControl)
    : undefined;
}

/** `bundle.<field>` of a bundle error message (the scorer names the field of the first problem), if any. */
function bundleField(message: string): string | undefined {
  const m = /^bundle(\.[A-Za-z0-9_.[\]]+)?:/.exec(message);
  return m === null ? undefined : `bundle${m[1] ?? ''}`;
}

/**
 * `GET /api/challenger` (the challenger's stats, null when none), `PUT /api/challenger` (a bundle's JSON text, checked
 * like `--bundle`), `DELETE /api/challenger`, `POST /api/challenger/promote` (the challenger's bundle becomes the
 * champion's between batches; the old champion is dropped). Mutations need the same authorization as every POST.
 */
export function challengerRoutes(system: FraudSystem, control: ChallengerControl | undefined): [string, Route][] {
  const need = (): ChallengerControl => {
    if (control === undefined) throw new HttpError(503, 'service_unavailable', 'this system exposes no engine for a challenger');
    return control;
  };
  const current = (): ChallengerStats | null => (system.stats() as { challenger?: ChallengerStats | null }).challenger ?? null;
  return [
    [
      '/api/challenger',
      {
        maxBody: MAX_BUNDLE_BYTES,
        get: (context) => replyJson(context, 200, { challenger: current() }),
        put: (context, body) => {
          const c = need();
          const text = body.toString('utf8');
          try {
            JSON.parse(text);
          } catch {
            throw new HttpError(400, 'malformed_json', 'request body must be a bundle as valid JSON');
          }
          let info: BundleInfo;
          try {
            info = c.setChallenger(text);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            const field = bundleField(message);
            throw new HttpError(400, 'invalid_body', message, field === undefined ? { cause: error } : { field, cause: error });
          }
          replyJson(context, 200, { bundle: info, challenger: current() });
        },
        delete: (context) => {
          if (!need().removeChallenger()) throw new HttpError(404, 'not_found', 'no challenger is loaded');
          replyJson(context, 200, { removed: true });
        },
      },
    ],
    [
      '/api/challenger/promote',
      {
        post: (context) => {
          const c = need();
          if (current() === null) throw new HttpError(409, 'conflict', 'no challenger is loaded');
          const info = c.promoteChallenger();
          replyJson(context, 200, { champion: info });
        },
      },
    ],
  ];
}
