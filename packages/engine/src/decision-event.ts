import type { DecisionName } from '@fraudstream/schema';

/** One decision as the live feed and the alert list show it. Card and terminal appear only as masked references. */
export interface DecisionEvent {
  id: string;
  /** `…` + the last 6 hex digits of the card's 64-bit key: enough to follow a card, nothing of its number. */
  cardRef: string;
  terminalRef: string;
  amount: number;
  timestampMs: number;
  score: number;
  decision: DecisionName;
  reasons: string[];
  latencyUs: number;
  modelVersion: string;
}

/** What {@link EventCollector.drain} hands out. */
export interface DrainedEvents {
  feed: DecisionEvent[];
  alerts: DecisionEvent[];
  /** Alerts decided since the last drain that are not in `alerts` (beyond the bound); all are still in the counts. */
  alertsOmitted: number;
}

/**
 * Gathers, between two drains, a uniform sample of decisions for the live feed (reservoir sampling) and the alerts,
 * both bounded, so memory and the WebSocket payload stay flat at any rate.
 */
export class EventCollector {
  private feed: DecisionEvent[] = [];
  private alerts: DecisionEvent[] = [];
  private seen = 0;
  private omitted = 0;
  /** Algorithm L state: the running weight and the index of the next decision the reservoir takes. */
  private w = 0;
  private next = 0;

  constructor(
    private readonly feedSize = 50,
    private readonly alertBuffer = 1000,
  ) {}

  /**
   * Index in the feed reservoir that the next decision should take, or -1 to skip it (call once per decision).
   * Reservoir sampling with skips (Li's Algorithm L): once the reservoir is full, the number of decisions to pass
   * over before the next one is taken is drawn once, so a skipped decision costs a compare, not a random number.
   */
  feedSlot(): number {
    const i = this.seen++;
    if (this.feed.length < this.feedSize) {
      if (this.feed.length === this.feedSize - 1) {
        this.w = Math.exp(Math.log(1 - Math.random()) / this.feedSize);
        this.next = i + 1 + this.skip();
      }
      return this.feed.length;
    }
    if (i !== this.next) return -1;
    this.w *= Math.exp(Math.log(1 - Math.random()) / this.feedSize);
    this.next = i + 1 + this.skip();
    return Math.floor(Math.random() * this.feedSize);
  }

  private skip(): number {
    return Math.floor(Math.log(1 - Math.random()) / Math.log(1 - this.w));
  }

  putFeed(slot: number, event: DecisionEvent): void {
    this.feed[slot] = event;
  }

  /** True when the next alert will be kept; false counts it as omitted. */
  wantsAlert(): boolean {
    if (this.alerts.length < this.alertBuffer) return true;
    this.omitted++;
    return false;
  }

  putAlert(event: DecisionEvent): void {
    this.alerts.push(event);
  }

  /** Takes up to `maxFeed` sampled decisions and the first `maxAlerts` alerts, and starts a new interval. */
  drain(maxFeed: number, maxAlerts: number): DrainedEvents {
    const feed = this.feed.length > maxFeed ? this.feed.slice(0, maxFeed) : this.feed;
    const alerts = this.alerts.length > maxAlerts ? this.alerts.slice(-maxAlerts) : this.alerts;
    const alertsOmitted = this.omitted + (this.alerts.length - alerts.length);
    this.feed = [];
    this.alerts = [];
    this.seen = 0;
    this.omitted = 0;
    feed.sort((a, b) => a.timestampMs - b.timestampMs);
    return { feed, alerts, alertsOmitted };
  }
}
