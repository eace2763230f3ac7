import type { DecisionEvent, FraudSystem, Stats } from '@fraudstream/system';
import { boundedRules } from './rules-routes.js';
import type { WebSocket, WebSocketBehavior } from './uws.js';

/** A socket whose send buffer holds more than this many bytes is skipped until it drains. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Most feed events per update. */
export const FEED_PER_UPDATE = 6;
/** Most alerts per update; the rest are counted in `alertsOmitted`. */
export const ALERTS_PER_UPDATE = 10;

/** First message on every socket. */
export interface HelloMessage {
  type: 'hello';
  stats: Stats;
}

/** Pushed every interval to every socket that keeps up. */
export interface UpdateMessage {
  type: 'update';
  stats: Stats;
  feed: DecisionEvent[];
  alerts: DecisionEvent[];
  /** Alerts not in `alerts`: beyond the per-update bound, or in updates this socket skipped while congested. */
  alertsOmitted: number;
}

/** Counters of the push loop, for tests and operators. */
export interface PushMetrics {
  /** Sockets open now. */
  clients: number;
  /** Timer ticks so far. */
  ticks: number;
  /** Updates handed to sockets. */
  updatesSent: number;
  /** Updates not sent because a socket's buffer was over `MAX_BUFFERED_BYTES`. */
  updatesSkipped: number;
  /** Times a congested socket drained. */
  drains: number;
}

/** Per-socket state. */
interface Client {
  /** Alerts this socket missed while its updates were skipped, reported in its next update. */
  missedAlerts: number;
}

/**
 * The WebSocket side of the server: one timer for all clients that samples the system once per tick and sends the
 * same serialized update to each open socket. Stats are cumulative snapshots, so a skipped update loses no count;
 * the alerts a skipped socket misses are added to its next `alertsOmitted`.
 */
export class PushHub {
  readonly #system: FraudSystem;
  readonly #intervalMs: number;
  readonly #log: (line: string) => void;
  readonly #sockets = new Set<WebSocket<Client>>();
  readonly #metrics: Omit<PushMetrics, 'clients'> = { ticks: 0, updatesSent: 0, updatesSkipped: 0, drains: 0 };
  #timer: NodeJS.Timeout | undefined;
  #lastLoggedError = '';

  constructor(system: FraudSystem, intervalMs: number, log: (line: string) => void) {
    this.#system = system;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  /** The uWS behaviour for the `/ws` route. */
  behavior(): WebSocketBehavior<Client> {
    return {
      // Clients only listen; a large inbound message is a misbehaving client.
      maxPayloadLength: 4 * 1024,
      idleTimeout: 60,
      sendPingsAutomatically: true,
      // Above uWS's own limit `send` would drop silently; keep it well above ours so our policy decides.
      maxBackpressure: 4 * MAX_BUFFERED_BYTES,
      closeOnBackpressureLimit: 0,
      upgrade: (res, req, context) => {
        const client: Client = { missedAlerts: 0 };
        res.upgrade(
          client,
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        this.#sockets.add(ws);
        let stats: Stats;
        try {
          stats = this.#system.stats();
        } catch (error) {
          this.#logError('stats for a new WebSocket', error);
          ws.end(1011, 'stats unavailable');
          return;
        }
        const hello: HelloMessage = { type: 'hello', stats: pushedStats(stats) };
        ws.send(JSON.stringify(hello));
      },
      drain: (ws) => {
        if (ws.getBufferedAmount() <= MAX_BUFFERED_BYTES) this.#metrics.drains++;
      },
      close: (ws) => {
        this.#sockets.delete(ws);
      },
    };
  }

  /** Starts the push timer; idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    // The listen socket keeps the process alive; the timer alone should not.
    this.#timer.unref();
  }

  /** Stops the timer and closes every socket with 1001 (going away). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    // `end` runs the close handler synchronously, which mutates the set, so iterate over a copy.
    for (const ws of [...this.#sockets]) ws.end(1001, 'server shutting down');
    this.#sockets.clear();
  }

  /** A snapshot of the counters. */
  metrics(): PushMetrics {
    return { clients: this.#sockets.size, ...this.#metrics };
  }

  #tick(): void {
    this.#metrics.ticks++;
    let update: UpdateMessage;
    let message: string;
    let alertCount: number;
    try {
      // Drain even without clients, so a client that connects later sees fresh decisions, not old ones.
      const events = this.#system.drainEvents(FEED_PER_UPDATE, ALERTS_PER_UPDATE);
      if (this.#sockets.size === 0) return;
      update = { type: 'update', stats: pushedStats(this.#system.stats()), ...events };
      message = JSON.stringify(update);
      alertCount = events.alerts.length + events.alertsOmitted;
      this.#lastLoggedError = '';
    } catch (error) {
      this.#logError('the WebSocket push', error);
      return;
    }
    for (const ws of this.#sockets) {
      const client = ws.getUserData();
      if (ws.getBufferedAmount() > MAX_BUFFERED_BYTES) {
        this.#metrics.updatesSkipped++;
        client.missedAlerts += alertCount;
        continue;
      }
      let payload = message;
      if (client.missedAlerts !== 0) {
        // Rare path: only a socket that skipped updates pays for its own serialization.
        payload = JSON.stringify({ ...update, alertsOmitted: update.alertsOmitted + client.missedAlerts });
        client.missedAlerts = 0;
      }
      ws.cork(() => ws.send(payload));
      this.#metrics.updatesSent++;
    }
  }

  /** Logs an error once until it changes, so a failing tick does not print five lines a second. */
  #logError(where: string, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    if (text === this.#lastLoggedError) return;
    this.#lastLoggedError = text;
    this.#log(`fraudstream server: error in ${where}: ${text}`);
  }
}

/** The stats as pushed: the rules bounded (at most `MAX_PUSHED_RULES`, sources cut; `rules.rulesOmitted` counts the rest). */
function pushedStats(stats: Stats): Stats {
  return { ...stats, rules: boundedRules(stats.rules) };
}
