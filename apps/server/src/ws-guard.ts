import { hostName, sameSecret } from './auth.js';
import { isLoopbackHost } from './net-address.js';
import type { WebSocketBehavior } from './uws.js';

/** The subprotocol a client offers beside its token, and the one the server selects. */
export const WS_PROTOCOL = 'fraudstream';
/** Prefix of the subprotocol entry that carries the token: `bearer.<token>`. */
export const WS_TOKEN_PREFIX = 'bearer.';

/** Limits and secrets of the `/ws` guard. */
export interface WsGuardOptions {
  token: string | undefined;
  /** Most WebSocket clients at once; the next upgrade gets 503. */
  maxClients: number;
}

/** Counters of the guard, for the metrics. */
export interface WsGuardCounts {
  open: number;
  refused: number;
}

/** Why an upgrade is refused, or undefined when it may proceed. */
export function refuseUpgrade(
  headers: { host: string; origin: string; protocol: string },
  token: string | undefined,
): { status: string; reason: string } | undefined {
  if (headers.origin !== '') {
    let originHost = '';
    try {
      originHost = new URL(headers.origin).host.toLowerCase();
    } catch {
      // An unparsable Origin (including "null") is treated as foreign.
    }
    if (originHost !== headers.host.toLowerCase()) return { status: '403 Forbidden', reason: 'cross-origin WebSocket refused' };
  }
  if (token !== undefined) {
    const offered = headers.protocol.split(',').map((p) => p.trim());
    const entry = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX));
    if (entry === undefined || !sameSecret(entry.slice(WS_TOKEN_PREFIX.length), token)) {
      return { status: '401 Unauthorized', reason: `this WebSocket needs the token as subprotocol ${WS_TOKEN_PREFIX}<token>` };
    }
  } else if (!isLoopbackHost(hostName(headers.host))) {
    return { status: '403 Forbidden', reason: 'the Host header must name this machine' };
  }
  return undefined;
}

/**
 * Wraps the `/ws` behaviour with the checks of the POST routes, done before the upgrade: `Origin` must match `Host`;
 * with a token, the client must offer the subprotocol `bearer.<token>` (browsers cannot set an Authorization header
 * on a WebSocket, and a query parameter would land in access logs and history); without one, `Host` must be a
 * loopback name. At most `maxClients` sockets are open at once. The selected subprotocol is `fraudstream` when the
 * client offered it, so the token is never echoed back.
 */
export function guardWebSocket<T>(inner: WebSocketBehavior<T>, options: WsGuardOptions): { behavior: WebSocketBehavior<T>; counts: WsGuardCounts } {
  const counts: WsGuardCounts = { open: 0, refused: 0 };
  const upgrade = inner.upgrade;
  if (upgrade === undefined) throw new TypeError('the WebSocket behaviour needs an upgrade handler');
  const behavior: WebSocketBehavior<T> = {
    ...inner,
    upgrade: (res, req, context) => {
      const headers = { host: req.getHeader('host'), origin: req.getHeader('origin'), protocol: req.getHeader('sec-websocket-protocol') };
      let refusal = refuseUpgrade(headers, options.token);
      if (refusal === undefined && counts.open >= options.maxClients) {
        refusal = { status: '503 Service Unavailable', reason: `too many WebSocket clients (at most ${options.maxClients})` };
      }
      if (refusal !== undefined) {
        counts.refused++;
        const { status, reason } = refusal;
        res.cork(() => {
          res.writeStatus(status).writeHeader('Content-Type', 'text/plain; charset=utf-8').end(reason, true);
        });
        return;
      }
      const offered = headers.protocol.split(',').map((p) => p.trim());
      const selected = offered.includes(WS_PROTOCOL) ? WS_PROTOCOL : '';
      // The inner handler reads the subprotocol to select from the request: hand it the selected one only.
      const proxy = new Proxy(req, {
        get: (target, key) => {
          if (key === 'getHeader') {
            return (name: string) => (name.toLowerCase() === 'sec-websocket-protocol' ? selected : target.getHeader(name));
          }
          const value = Reflect.get(target, key) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      upgrade(res, proxy, context);
    },
    open: (ws) => {
      counts.open++;
      inner.open?.(ws);
    },
    close: (ws, code, message) => {
      counts.open--;
      inner.close?.(ws, code, message);
    },
  };
  return { behavior, counts };
}
