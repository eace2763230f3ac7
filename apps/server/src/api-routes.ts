import { caseRoutes } from './case-routes.js';
import { HttpError } from './errors.js';
import type { FraudSystem } from '@fraudstream/system';
import { parseScenarioRequest, parseThresholdsRequest } from './control-requests.js';
import { parseGeneratorRequest } from './generator-request.js';
import { replyJson } from './http-reply.js';
import type { RequestContext } from './request-context.js';

/** A route handler; `body` is the read request body for POST, empty otherwise. */
export type RouteHandler = (context: RequestContext, body: Buffer) => Promise<void> | void;

/** Handlers of one path by lower-case method. */
export type Route = Readonly<Partial<Record<'get' | 'post', RouteHandler>>>;

/** The REST control API, the case and decision-log API and the health check, by path. */
export function apiRoutes(system: FraudSystem): ReadonlyMap<string, Route> {
  const replyStats = (context: RequestContext): void => replyJson(context, 200, system.stats());
  return new Map<string, Route>([
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
    ...caseRoutes(system),
  ]);
}
