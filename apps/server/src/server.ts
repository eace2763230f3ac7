import { apiRoutes } from './api-routes.js';
import { replyError } from './http-reply.js';
import { routeLabel } from './logger.js';
import { serveScore } from './score-route.js';
import { metricsRoute } from './metrics-route.js';
import { PushHub, type PushMetrics } from './push-hub.js';
import { createRequestContext } from './request-context.js';
import { RequestRouter } from './request-router.js';
import { resolveServerOptions, type ServerOptions } from './server-options.js';
import type { FraudSystem, Stats } from '@fraudstream/system';
import type { V1Handlers } from './api-routes.js';
import { ingestNdjson } from './bulk-ingest.js';
import { LabelApi } from './label-api.js';
import { openApiText } from './openapi.js';
import { ScoreApi, type ApiStats } from './score-api.js';
import { engineOf } from './scoring-engine.js';
import { challengerOf } from './challenger-routes.js';
import { createApp, LISTEN_EXCLUSIVE_PORT, uws, type us_listen_socket } from './uws.js';
import { VerdictLabels } from './verdict-labels.js';
import { WebhookSink, type WebhookCounts } from './webhook-sink.js';
import { guardWebSocket } from './ws-guard.js';

/** A listening server. */
export interface RunningServer {
  /** The bound address, as given in the options. */
  host: string;
  /** The bound port; the real one when the options asked for 0. */
  port: number;
  /** Counters of the WebSocket push loop. */
  metrics(): PushMetrics;
  /** Counts of the alert webhook, when one is configured. */
  webhook(): WebhookCounts | undefined;
  /**
   * Shuts down once (later calls return the same promise): stops the push timer, closes every WebSocket and the
   * listen socket, then awaits `system.close()`, which drains in-flight batches and stops the workers.
   */
  close(): Promise<void>;
}

/** Starts the HTTP + WebSocket server on uWebSockets.js; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const resolved = resolveServerOptions(options);
  const { host, log } = resolved;
  const token = resolved.token;

  const engine = engineOf(resolved.system);
  // The HTTP inputs hold back while the system does (its case writer is behind), as the generator and replay do.
  const scoreApi = engine === undefined ? undefined : new ScoreApi(engine, resolved.scoring, () => resolved.system.holdingBack?.());
  let v1: V1Handlers | undefined;
  if (engine !== undefined && scoreApi !== undefined) {
    const labelApi = new LabelApi(engine, scoreApi);
    v1 = {
      score: (context, body) => scoreApi.score(context, body),
      transactions: (context) => ingestNdjson(context, engine, scoreApi, resolved.scoring),
      labels: (context, body) => labelApi.label(context, body),
      verdicts: new VerdictLabels(engine),
    };
  }
  const system = withApiStats(resolved.system, () => scoreApi?.stats() ?? emptyApiStats());

  const app = createApp();
  const webhook = resolved.webhook === undefined ? undefined : new WebhookSink({ logger: resolved.logger, ...resolved.webhook });
  // The push loop is the one reader of the engine's alerts; the webhook sees every batch of them as it passes.
  const hubSystem = webhook === undefined ? system : tapAlerts(system, webhook);
  const hub = new PushHub(hubSystem, resolved.pushIntervalMs, log);
  const challenger = challengerOf(resolved.system);
  const router = new RequestRouter({ system, staticDir: resolved.staticDir, token, log, v1, openApiJson: openApiText(), challenger });

  const ws = guardWebSocket(hub.behavior(), { token, maxClients: resolved.maxWsClients });
  app.ws('/ws', ws.behavior);
  const metrics = metricsRoute(system, token, () => ({ wsClients: ws.counts.open, wsRefused: ws.counts.refused, webhook: webhook?.counts(), api: scoreApi?.stats() }));
  const known = new Set([...apiRoutes(system, v1, '', token, challenger).keys(), '/metrics']);
  app.any('/*', (res, req) => {
    const context = createRequestContext(res, req);
    const started = performance.now();
    if (scoreApi !== undefined && context.url === '/v1/score' && context.method === 'post' && context.headers.upgrade === '') {
      // The authorisation path skips the general router (its promises and async frames); see score-route.ts.
      serveScore(context, scoreApi, token, (unexpected) => {
        if (unexpected !== undefined) log(`fraudstream server: POST /v1/score failed: ${unexpected instanceof Error ? unexpected.message : String(unexpected)}`);
        if (!resolved.logger.isLevelEnabled('info')) return;
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        resolved.logger.info({ reqId: context.requestId, method: 'post', route: '/v1/score', status: context.status, ms }, 'request');
      });
      return;
    }
    const done = context.url === '/metrics' ? metrics(context).catch((error: unknown) => replyError(context, error)) : router.handle(context);
    void done.then(() => {
      const { method, url, status, requestId } = context;
      const ms = Math.round((performance.now() - started) * 1000) / 1000;
      resolved.logger.info({ reqId: requestId, method, route: routeLabel(url, known, status), status, ms }, 'request');
    });
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(host, resolved.port, LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (socket === false) {
        reject(new Error(`cannot listen on ${host}:${resolved.port} (address in use or not available)`));
      } else {
        resolve(socket);
      }
    });
  });
  const port = uws.us_socket_local_port(listenSocket);
  hub.start();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      hub.close();
      webhook?.close();
      scoreApi?.close();
      uws.us_listen_socket_close(listenSocket);
      // Also drop idle keep-alive connections, which would otherwise keep the event loop alive.
      app.close();
      await system.close();
    })();
    return closing;
  };

  return { host, port, metrics: () => hub.metrics(), webhook: () => webhook?.counts(), close };
}

/** The system with `drainEvents` passing each drained set of alerts to the webhook too. */
function tapAlerts(system: FraudSystem, webhook: WebhookSink): FraudSystem {
  return new Proxy(system, {
    get: (target, key) => {
      if (key === 'drainEvents') {
        return (maxFeed: number, maxAlerts: number) => {
          const events = target.drainEvents(maxFeed, maxAlerts);
          webhook.offer(events.alerts, events.alertsOmitted);
          return events;
        };
      }
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The stats a system without an engine reports for the scoring API. */
function emptyApiStats(): ApiStats {
  return {
    score: { requests: 0, answered: 0, deadlineMisses: 0, lateDecisions: 0, batches: 0, largestBatch: 0, pending: 0 },
    bulk: { requests: 0, accepted: 0, rejected: 0, pauses: 0 },
    labels: { accepted: 0, unknown: 0 },
  };
}

/** The system as the routes and the push see it: its stats gain the scoring API's counters (`api`). */
function withApiStats(system: FraudSystem, api: () => ApiStats): FraudSystem {
  return {
    stats: (): Stats & { api: ApiStats } => ({ ...system.stats(), api: api() }),
    start: () => system.start(),
    stop: () => system.stop(),
    setGenerator: (options) => system.setGenerator(options),
    setThresholds: (thresholds) => system.setThresholds(thresholds),
    injectScenario: (kind) => system.injectScenario(kind),
    drainEvents: (maxFeed, maxAlerts) => system.drainEvents(maxFeed, maxAlerts),
    setRules: (rules) => system.setRules(rules),
    swapBundle: (bundle) => system.swapBundle(bundle),
    ruleStats: () => system.ruleStats(),
    ...(system.liveConfig === undefined ? {} : { liveConfig: () => system.liveConfig!() }),
    get cases() {
      return system.cases;
    },
    queryDecisions: system.queryDecisions === undefined ? undefined : (query) => system.queryDecisions!(query),
    ...(system.telemetry === undefined ? {} : { telemetry: () => system.telemetry!() }),
    ...(system.holdingBack === undefined ? {} : { holdingBack: () => system.holdingBack!() }),
    close: () => system.close(),
  };
}
