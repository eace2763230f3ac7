/**
 * The one place that loads uWebSockets.js (a CommonJS native addon), so every other file imports from here.
 * Note: the package falls back to a slower pure-Node implementation when its binary does not match the Node ABI.
 */
import uWS, { type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';

export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  WebSocketBehavior,
  us_listen_socket,
} from 'uWebSockets.js';

/** The uWebSockets.js module object. */
export const uws = uWS;

/** uSockets listen option: fail instead of silently sharing a port that is already taken (SO_REUSEPORT). */
export const LISTEN_EXCLUSIVE_PORT = 1;

/** Members the v20.30 binary has but its bundled typings omit. */
export type AppWithExtras = Omit<TemplatedApp, 'listen'> & {
  /** Listens on host and port with uSockets options (e.g. `LISTEN_EXCLUSIVE_PORT`). */
  listen(host: string, port: number, options: number, cb: (listenSocket: us_listen_socket | false) => void): void;
  /** Closes every socket of the app: listen sockets and open connections alike. */
  close(): void;
};

/** Creates a plain (non-TLS) uWS app with the typings completed. */
export function createApp(): AppWithExtras {
  return uWS.App() as unknown as AppWithExtras;
}
