import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FraudSystem } from '@fraudstream/system';
import { createLogger, type Logger } from './logger.js';
import { isLoopbackHost } from './net-address.js';
import type { WebhookOptions } from './webhook-sink.js';
import { resolveScoringOptions, type ResolvedScoringOptions, type ScoringOptions } from './scoring-options.js';

/** Options of `startServer`. */
export interface ServerOptions {
  system: FraudSystem;
  /** Address to bind; default `127.0.0.1`. A non-loopback address requires `token`. */
  host?: string;
  /** Port to bind; default 8080, 0 picks a free port. */
  port?: number;
  /** Directory of the dashboard files; default `apps/dashboard/dist` if it exists, else this package's `static/`. */
  staticDir?: string;
  /** Bearer token for mutating endpoints; required when `host` is not a loopback address. */
  token?: string;
  /** Interval of the WebSocket push, in milliseconds; default 200 (5 updates a second). */
  pushIntervalMs?: number;
  /** Where the server writes its few log lines (internal errors); default `console.error`. Never given card ids. */
  log?: (line: string) => void;
  /** The JSON-lines logger for request lines and errors; default pino at level warn on stdout. */
  logger?: Logger;
  /** Most WebSocket clients at once (default 64); the next upgrade is refused with 503. */
  maxWsClients?: number;
  /** Send alerts to a webhook (Slack-compatible JSON), batched, rate limited and retried. */
  webhook?: WebhookOptions;
  /** The `/v1` routes: micro-batch size and linger, per-request deadline, bulk bounds (scoring-options.ts). */
  scoring?: ScoringOptions;
}

/** `ServerOptions` after validation, with defaults filled in. */
export interface ResolvedServerOptions {
  system: FraudSystem;
  host: string;
  port: number;
  staticDir: string;
  token: string | undefined;
  pushIntervalMs: number;
  log: (line: string) => void;
  logger: Logger;
  maxWsClients: number;
  webhook: WebhookOptions | undefined;
  scoring: ResolvedScoringOptions;
}

/** The dashboard build, when `apps/dashboard` has been built. */
const DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
/** The fallback status page shipped with the server. */
const OWN_STATIC = fileURLToPath(new URL('../static', import.meta.url));

/** Picks the default static directory: the built dashboard if present, else the server's own status page. */
export function defaultStaticDir(): string {
  return existsSync(DASHBOARD_DIST) ? DASHBOARD_DIST : OWN_STATIC;
}

/** Validates `startServer` options up front, throwing `TypeError`/`RangeError` that name the option. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { system } = options;
  if (typeof system !== 'object' || system === null) throw new TypeError('options.system must be a FraudSystem');
  for (const method of ['stats', 'start', 'stop', 'setGenerator', 'setThresholds', 'injectScenario', 'drainEvents', 'close'] as const) {
    if (typeof system[method] !== 'function') throw new TypeError(`options.system.${method} must be a function`);
  }

  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw new TypeError('options.host must be a non-empty string');

  const port = options.port ?? 8080;
  if (!Number.isInteger(port)) throw new TypeError('options.port must be an integer');
  if (port < 0 || port > 65_535) throw new RangeError('options.port must be between 0 and 65535');

  const staticDir = options.staticDir ?? defaultStaticDir();
  if (typeof staticDir !== 'string' || staticDir.length === 0) {
    throw new TypeError('options.staticDir must be a non-empty string');
  }

  const { token } = options;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0)) {
    throw new TypeError('options.token must be a non-empty string');
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new TypeError(`options.token is required when binding to a non-loopback address (${host})`);
  }

  const pushIntervalMs = options.pushIntervalMs ?? 200;
  if (!Number.isFinite(pushIntervalMs)) throw new TypeError('options.pushIntervalMs must be a number');
  if (pushIntervalMs < 10 || pushIntervalMs > 60_000) {
    throw new RangeError('options.pushIntervalMs must be between 10 and 60000');
  }

  const logger = options.logger ?? createLogger({ level: 'warn' });
  const log = options.log ?? ((line: string) => logger.error(line));
  if (typeof log !== 'function') throw new TypeError('options.log must be a function');

  const maxWsClients = options.maxWsClients ?? 64;
  if (!Number.isInteger(maxWsClients) || maxWsClients < 1 || maxWsClients > 100_000) {
    throw new RangeError('options.maxWsClients must be an integer from 1 to 100000');
  }

  const scoring = resolveScoringOptions(options.scoring);

  return { system, host, port, staticDir, token, pushIntervalMs, log, logger, maxWsClients, webhook: options.webhook, scoring };
}
