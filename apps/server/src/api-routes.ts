import { Limits } from '@fraudstream/schema';
import { caseRoutes } from './case-routes.js';
import { challengerRoutes, type ChallengerControl } from './challenger-routes.js';
import { rulesRoutes } from './rules-routes.js';
import { HttpError } from './errors.js';
import type { FraudSystem } from '@fraudstream/system';
import { parseScenarioRequest, parseThresholdsRequest } from './control-requests.js';
import { parseGeneratorRequest } from './generator-request.js';
import { reply, replyJson } from './http-reply.js';
import type { RequestContext } from './request-context.js';
import type { VerdictLabels } from './verdict-labels.js';

/** A route handler; `body` is the read request body for POST and PUT, empty otherwise. */
export type RouteHandler = (context: RequestContext, body: Buffer) => Promise<void> | void;

/**
 * Handlers of one path by lower-case method. A `post` marked `streamed` reads its own body (it is authorized before
 * the first byte is read) and gets an empty buffer.
 */
export type Route = Readonly<Partial<Record<'get' | 'post' | 'put' | 'delete', RouteHandler>>> & {
  readonly streamed?: boolean;
  /** Largest POST/PUT/DELETE body in bytes (default `MAX_BODY_BYTES`, 16 KiB). */
  readonly maxBody?: number;
};

/** The `/v1` handlers (absent when the system exposes no engine: the routes then answer 503). */
export interface V1Handlers {
  score: RouteHandler;
  transactions: RouteHandler;
  labels: RouteHandler;
  /** Writes analysts' verdicts into the engine as label records (`POST /api/cases/:id`). */
  verdicts?: VerdictLabels;
}

/** The REST control API, the scoring API, the case and decision-log API, the OpenAPI document and the health check, by path. */
export function apiRoutes(
  system: FraudSystem,
  v1: V1Handlers | undefined,
  openApiJson: string,
  token?: string,
  challenger?: ChallengerControl,
): ReadonlyMap<string, Route> {
  const replyStats = (context: RequestContext): void => replyJson(context, 200, system.stats());
  const unavailable = (): never => {
    throw new HttpError(503, 'service_unavailable', 'this system exposes no engine for the /v1 routes');
  };
  return new Map<string, Route>([
    // One transaction document: the schema package's bound (4 KiB), as on every other input path.
    ['/v1/score', { post: v1?.score ?? unavailable, maxBody: Limits.maxJsonBytes }],
    ['/v1/transactions', { post: v1?.transactions ?? unavailable, streamed: true }],
    ['/v1/labels', { post: v1?.labels ?? unavailable }],
    [
      '/openapi.json',
      {
        get: (context) =>
          reply(context, 200, openApiJson, {
            headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' },
          }),
      },
    ],
    ['/healthz', { get: (context) => replyJson(context, 200, { status: 'ok' }) }],
    ['/api/stats', { get: replyStats }],
    [
      '/api/system/start',
      {
        post: async (context) => {
          await system.start();
          replyStats(context);
        },
      },
    ],
    [
      '/api/system/stop',
      {
        post: async (context) => {
          await system.stop();
          replyStats(context);
        },
      },
    ],
    [
      '/api/generator',
      {
        post: (context, body) => {
          const { tps } = parseGeneratorRequest(body);
          const { kind } = system.stats().source;
          if (kind !== 'generator') {
            throw new HttpError(409, 'conflict', `the source is ${kind}, not the generator`);
          }
          try {
            system.setGenerator({ tps });
          } catch (error) {
            // The system's own range check is the last word, should it be stricter than ours.
            if (error instanceof RangeError) throw new HttpError(400, 'out_of_range', error.message, { field: 'tps' });
            throw error;
          }
          replyStats(context);
        },
      },
    ],
    [
      '/api/thresholds',
      {
        post: (context, body) => {
          const thresholds = parseThresholdsRequest(body);
          system.setThresholds(thresholds);
          replyStats(context);
        },
      },
    ],
    [
      '/api/scenario',
      {
        post: (context, body) => {
          const { kind } = parseScenarioRequest(body);
          const stats = system.stats();
          if (stats.source.kind !== 'generator') {
            throw new HttpError(409, 'conflict', `the source is ${stats.source.kind}, not the generator`);
          }
          if (!stats.running) throw new HttpError(409, 'conflict', 'the system is not running; start it first');
          let queued: number;
          try {
            queued = system.injectScenario(kind);
          } catch (error) {
            if (error instanceof RangeError) throw new HttpError(409, 'conflict', error.message);
            throw error;
          }
          replyJson(context, 202, { kind, queued, stats: system.stats() });
        },
      },
    ],
    ...caseRoutes(system, v1?.verdicts),
    ...rulesRoutes(system, token),
    ...challengerRoutes(system, challenger),
  ]);
}
