import { createSignal, type Accessor } from 'solid-js';
import type { HelloMessage, UpdateMessage } from './types';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

/** Backoff of reconnect attempts: 250 ms doubling up to 5 s, reset once a socket opens. */
export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 5_000;

export interface Connection {
  state: Accessor<ConnectionState>;
  /** Bytes of the last message, and the number of messages received. */
  lastBytes: Accessor<number>;
  messages: Accessor<number>;
  /** Reconnect attempts since the page loaded. */
  reconnects: Accessor<number>;
  /** Milliseconds until the next attempt while reconnecting. */
  retryInMs: Accessor<number>;
  close(): void;
}

/** Session storage key of the API token (see {@link apiToken}). */
const TOKEN_KEY = 'fraudstream.token';

/**
 * The API token when the server runs with one (off loopback): opened as `/#token=...`, the page keeps it in session
 * storage (not in the address bar, history or server logs) and sends it on every API call and the WebSocket.
 */
export function apiToken(): string | undefined {
  const hash = location.hash.match(/^#token=([^&]+)/);
  if (hash?.[1] !== undefined) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(hash[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Headers for an API call: the bearer token when there is one. */
export function authHeaders(): Record<string, string> {
  const token = apiToken();
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}

/**
 * Opens `/ws` on the page's own host and keeps it open: on close it retries with exponential backoff, so the page
 * comes back by itself when the server restarts.
 */
export function connect(onMessage: (message: HelloMessage | UpdateMessage) => void): Connection {
  const [state, setState] = createSignal<ConnectionState>('connecting');
  const [lastBytes, setLastBytes] = createSignal(0);
  const [messages, setMessages] = createSignal(0);
  const [reconnects, setReconnects] = createSignal(0);
  const [retryInMs, setRetryInMs] = createSignal(0);
  let backoff = BACKOFF_MIN_MS;
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

  const open = (): void => {
    // The server reads the token from the subprotocol `bearer.<token>` (query strings end up in access logs) and
    // selects `fraudstream`, so the token is never echoed back.
    const token = apiToken();
    const ws = token === undefined ? new WebSocket(url) : new WebSocket(url, ['fraudstream', `bearer.${token}`]);
    socket = ws;
    ws.onopen = () => {
      backoff = BACKOFF_MIN_MS;
      setState('open');
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      setLastBytes(event.data.length);
      setMessages((n) => n + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        return;
      }
      const type = (parsed as { type?: unknown }).type;
      if (type === 'hello' || type === 'update') onMessage(parsed as HelloMessage | UpdateMessage);
    };
    ws.onclose = () => {
      if (socket !== ws || closed) return;
      setState('reconnecting');
      setRetryInMs(backoff);
      timer = setTimeout(() => {
        setReconnects((n) => n + 1);
        open();
      }, backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    };
    // An error is always followed by close, which schedules the retry; nothing to log for an expected restart.
    ws.onerror = () => undefined;
  };
  open();

  return {
    state,
    lastBytes,
    messages,
    reconnects,
    retryInMs,
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}

/** POSTs JSON to the API; resolves with the parsed body, rejects with the server's error message. */
export async function post(path: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders() },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? `HTTP ${response.status}`;
    throw new Error(message);
  }
  return parsed;
}
