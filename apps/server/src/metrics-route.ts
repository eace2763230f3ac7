import type { FraudSystem } from '@fraudstream/system';
import { HttpError } from './errors.js';
import { reply } from './http-reply.js';
import { renderMetrics, type ServerGauges } from './metrics.js';
import { authorizeRead } from './read-auth.js';
import type { RequestContext } from './request-context.js';

/** The Prometheus text format's content type. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics`: the Prometheus exposition, rendered at scrape time. A data route: the token is required when one is
 * set (always off loopback), and `Host` must be a loopback name otherwise.
 */
export function metricsRoute(system: FraudSystem, token: string | undefined, server: () => ServerGauges): (context: RequestContext) => Promise<void> {
  return async (context) => {
    if (context.method !== 'get' && context.method !== 'head') {
      throw new HttpError(405, 'method_not_allowed', 'method not allowed; use GET, HEAD', { headers: { Allow: 'GET, HEAD' } });
    }
    authorizeRead(context.headers, token);
    reply(context, 200, renderMetrics(system, server()), {
      headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
    });
  };
}
