import { batch, createSignal } from 'solid-js';
import { pushBounded, SeriesRing } from './ring';
import type { DecisionEvent, HelloMessage, Stats, UpdateMessage } from './types';

/** Chart history: 5 minutes at 5 updates a second. */
export const HISTORY_POINTS = 1_500;
/** Rows kept in the live feed and the alert list. */
export const FEED_ROWS = 40;
export const ALERT_ROWS = 200;

/** Rates the client derives from two consecutive stats snapshots. */
export interface Derived {
  /** Alerts (REVIEW + DECLINE) per second. */
  alertsPerS: number;
  /** Alerts as a share of decisions over the last interval, percent. */
  alertPct: number;
}

/**
 * The page's state: the latest stats, derived rates, bounded histories for the charts (typed-array rings), and
 * bounded feed and alert lists. Every update replaces a few signals inside one batch, so Solid re-runs only the
 * bindings that read them.
 */
export function createStore() {
  const [stats, setStats] = createSignal<Stats | undefined>(undefined);
  const [derived, setDerived] = createSignal<Derived>({ alertsPerS: 0, alertPct: 0 });
  const [feed, setFeed] = createSignal<DecisionEvent[]>([]);
  const [alerts, setAlerts] = createSignal<DecisionEvent[]>([]);
  const [alertsOmitted, setAlertsOmitted] = createSignal(0);
  const [tick, setTick] = createSignal(0);
  // time (s), ingestTps, decideTps | time, p50, p99, p999 | time, alerts/s, alert %
  const throughput = new SeriesRing(HISTORY_POINTS, 3);
  const latency = new SeriesRing(HISTORY_POINTS, 4);
  const alertRate = new SeriesRing(HISTORY_POINTS, 3);
  let previous: { t: number; alerts: number; decided: number } | undefined;

  const apply = (message: HelloMessage | UpdateMessage): void => {
    const s = message.stats;
    const t = Date.now() / 1000;
    const alertCount = s.counts.review + s.counts.declined;
    let d: Derived = derived();
    if (previous !== undefined && t > previous.t) {
      const dAlerts = Math.max(0, alertCount - previous.alerts);
      const dDecided = Math.max(0, s.counts.decided - previous.decided);
      d = { alertsPerS: dAlerts / (t - previous.t), alertPct: dDecided === 0 ? 0 : (100 * dAlerts) / dDecided };
    }
    // A restarted server starts its counters at zero again: restart the derivation rather than show negatives.
    previous = { t, alerts: alertCount, decided: s.counts.decided };
    throughput.push([t, s.throughput.ingestTps, s.throughput.decideTps]);
    latency.push([t, s.latencyMs.p50, s.latencyMs.p99, s.latencyMs.p999]);
    alertRate.push([t, d.alertsPerS, d.alertPct]);
    batch(() => {
      setStats(s);
      setDerived(d);
      if (message.type === 'update') {
        if (message.feed.length > 0) setFeed((old) => pushBounded(old, message.feed, FEED_ROWS));
        if (message.alerts.length > 0) setAlerts((old) => pushBounded(old, message.alerts, ALERT_ROWS));
        if (message.alertsOmitted > 0) setAlertsOmitted((n) => n + message.alertsOmitted);
      }
      setTick((n) => n + 1);
    });
  };

  return { stats, derived, feed, alerts, alertsOmitted, tick, throughput, latency, alertRate, apply };
}

export type Store = ReturnType<typeof createStore>;
