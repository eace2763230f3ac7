import type { DecisionEvent } from '@fraudstream/system';
import type { Logger } from './logger.js';

/** Options of a {@link WebhookSink}. */
export interface WebhookOptions {
  /** Where messages are POSTed (http or https). */
  url: string;
  /** Most alerts in one message (default 20). */
  batch?: number;
  /** How long the first queued alert waits for a fuller message, ms (default 1000). */
  intervalMs?: number;
  /** Most messages a minute, evenly spaced (default 30; Slack takes about one a second per webhook). */
  maxPerMinute?: number;
  /** Retries of a failed message (network error, 5xx, 429) with exponential backoff (default 5). */
  retries?: number;
  /** First backoff, ms, doubled per retry up to 60 s (default 500). A 429's `Retry-After` wins when longer. */
  backoffMs?: number;
  /** Most alerts waiting (default 1000); past it new alerts are dropped and counted in `alertsDropped`. */
  queue?: number;
  /** Timeout of one POST, ms (default 10000). */
  timeoutMs?: number;
  /** Where failures are logged (without the URL's query, which may hold a secret). */
  logger?: Logger;
}

/** The sink's own counts (each counted where it happens). */
export interface WebhookCounts {
  /** Alerts offered to the sink. */
  alertsIn: number;
  /** Alerts in messages the receiver accepted. */
  alertsSent: number;
  /** Alerts dropped because the queue was full. */
  alertsDropped: number;
  /** Alerts in messages given up after the retries (or refused with a 4xx other than 429). */
  alertsFailed: number;
  /** Alerts the engine decided but did not hand over (beyond its per-drain bound), reported in the next message. */
  alertsOmitted: number;
  /** Alerts waiting now, including those of a message being sent. */
  queued: number;
  messagesSent: number;
  messagesFailed: number;
  retries: number;
}

/** The Slack-compatible body of one message. */
export interface WebhookMessage {
  text: string;
  /** Absent when no alert is listed (Slack refuses an empty list). */
  blocks?: { type: 'section'; text: { type: 'mrkdwn'; text: string } }[];
}

/**
 * Builds a message from alerts. Cards appear only as their masked keyed reference (`cardRef`); no card id exists in a
 * decision event to begin with.
 */
export function formatMessage(alerts: readonly DecisionEvent[], omitted: number): WebhookMessage {
  const byDecision = new Map<string, number>();
  for (const a of alerts) byDecision.set(a.decision, (byDecision.get(a.decision) ?? 0) + 1);
  const summary = [...byDecision].map(([d, n]) => `${n} ${d}`).join(', ');
  const text =
    alerts.length === 0
      ? `Fraudstream: ${omitted} alert${omitted === 1 ? '' : 's'} not listed (decided beyond the per-update bound)`
      : `Fraudstream: ${alerts.length} alert${alerts.length === 1 ? '' : 's'} (${summary})${omitted > 0 ? `, ${omitted} more not listed` : ''}`;
  const lines = alerts.map(
    (a) =>
      `*${a.decision}* score ${a.score.toFixed(3)} · card ${a.cardRef} · terminal ${a.terminalRef} · amount ${a.amount.toFixed(2)} · tx ${a.id.slice(0, 64)} · ${new Date(a.timestampMs).toISOString()}${a.reasons.length > 0 ? ` · ${a.reasons.slice(0, 5).join(', ')}` : ''}`,
  );
  const blocks: NonNullable<WebhookMessage['blocks']> = [];
  // Slack caps a section's text at 3000 characters: split the lines over several sections.
  let chunk = '';
  for (const line of lines) {
    if (chunk.length + line.length + 1 > 2900 && chunk !== '') {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
      chunk = '';
    }
    chunk += (chunk === '' ? '' : '\n') + line;
  }
  if (chunk !== '') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: chunk } });
  return blocks.length === 0 ? { text } : { text, blocks };
}

function check(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`webhook.${name} must be an integer from ${min} to ${max}`);
  return value;
}

/**
 * Sends alerts to a webhook: queued (bounded; overflow counted, never silent), batched (up to `batch` alerts, or what
 * has gathered after `intervalMs`), rate limited (at most `maxPerMinute` messages, evenly spaced), one message at a
 * time, each retried with exponential backoff. Runs on timers; `offer` never blocks the caller.
 */
export class WebhookSink {
  readonly #url: string;
  readonly #batch: number;
  readonly #intervalMs: number;
  readonly #spacingMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #capacity: number;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #safeUrl: string;
  #queue: DecisionEvent[] = [];
  #omitted = 0;
  #oldestMs = 0;
  #lastSentMs = -Infinity;
  #sending = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #abort = new AbortController();
  readonly #counts: Omit<WebhookCounts, 'queued'> = {
    alertsIn: 0,
    alertsSent: 0,
    alertsDropped: 0,
    alertsFailed: 0,
    alertsOmitted: 0,
    messagesSent: 0,
    messagesFailed: 0,
    retries: 0,
  };
  #inMessage = 0;

  constructor(options: WebhookOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError('webhook.url must be an http or https URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError('webhook.url must be an http or https URL');
    this.#url = options.url;
    this.#safeUrl = `${parsed.protocol}//${parsed.host}`;
    this.#batch = check('batch', options.batch ?? 20, 1, 100);
    this.#intervalMs = check('interval_ms', options.intervalMs ?? 1000, 0, 3_600_000);
    this.#spacingMs = 60_000 / check('max_per_minute', options.maxPerMinute ?? 30, 1, 60_000);
    this.#retries = check('retries', options.retries ?? 5, 0, 20);
    this.#backoffMs = check('backoff_ms', options.backoffMs ?? 500, 1, 60_000);
    this.#capacity = check('queue', options.queue ?? 1000, 1, 1_000_000);
    this.#timeoutMs = check('timeout_ms', options.timeoutMs ?? 10_000, 1, 600_000);
    this.#logger = options.logger;
  }

  /** Queues alerts (those past the queue's bound are dropped and counted); `omitted` are alerts the engine left out. */
  offer(alerts: readonly DecisionEvent[], omitted = 0): void {
    if (this.#closed) return;
    this.#counts.alertsIn += alerts.length;
    this.#counts.alertsOmitted += omitted;
    this.#omitted += omitted;
    if (alerts.length === 0 && omitted === 0) return;
    if (this.#queue.length === 0) this.#oldestMs = performance.now();
    const room = Math.max(0, this.#capacity - this.#queue.length - this.#inMessage);
    if (room < alerts.length) {
      const dropped = alerts.length - room;
      if (this.#counts.alertsDropped === 0) this.#logger?.warn({ webhook: this.#safeUrl, dropped }, 'webhook queue full: alerts dropped');
      this.#counts.alertsDropped += dropped;
    }
    for (let i = 0; i < Math.min(room, alerts.length); i++) this.#queue.push(alerts[i] as DecisionEvent);
    this.#schedule();
  }

  /** A snapshot of the counts. */
  counts(): WebhookCounts {
    return { ...this.#counts, queued: this.#queue.length + this.#inMessage };
  }

  /** Stops sending: clears the timer and aborts a POST in flight (queued alerts stay counted as queued). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
  }

  #schedule(): void {
    if (this.#closed || this.#sending || this.#timer !== undefined) return;
    if (this.#queue.length === 0 && this.#omitted === 0) return;
    const now = performance.now();
    const full = this.#queue.length >= this.#batch;
    const dueByBatch = full ? now : this.#oldestMs + this.#intervalMs;
    const dueByRate = this.#lastSentMs + this.#spacingMs;
    const delay = Math.max(0, dueByBatch - now, dueByRate - now);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#sendOne();
    }, delay);
    this.#timer.unref();
  }

  async #sendOne(): Promise<void> {
    if (this.#closed || this.#sending) return;
    const alerts = this.#queue.splice(0, this.#batch);
    const omitted = this.#omitted;
    this.#omitted = 0;
    if (alerts.length === 0 && omitted === 0) return;
    if (this.#queue.length > 0) this.#oldestMs = performance.now();
    this.#sending = true;
    this.#inMessage = alerts.length;
    this.#lastSentMs = performance.now();
    const body = JSON.stringify(formatMessage(alerts, omitted));
    try {
      const ok = await this.#post(body);
      if (ok) {
        this.#counts.messagesSent++;
        this.#counts.alertsSent += alerts.length;
      } else {
        this.#counts.messagesFailed++;
        this.#counts.alertsFailed += alerts.length;
      }
    } finally {
      this.#inMessage = 0;
      this.#sending = false;
      this.#lastSentMs = performance.now();
      this.#schedule();
    }
  }

  /** POSTs with retries; true once the receiver answers 2xx. */
  async #post(body: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs = 0;
      let reason: string;
      try {
        const res = await fetch(this.#url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        reason = `HTTP ${res.status}`;
        if (res.status === 429) retryAfterMs = Math.min(60_000, Number(res.headers.get('retry-after') ?? '0') * 1000 || 0);
        else if (res.status < 500) {
          this.#logger?.error({ webhook: this.#safeUrl, status: res.status }, 'webhook refused the message; not retried');
          return false;
        }
      } catch (error) {
        if (this.#closed) return false;
        reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      }
      if (attempt >= this.#retries || this.#closed) {
        this.#logger?.error({ webhook: this.#safeUrl, attempts: attempt + 1, reason }, 'webhook message given up');
        return false;
      }
      this.#counts.retries++;
      const backoff = Math.min(60_000, this.#backoffMs * 2 ** attempt) * (1 + Math.random() * 0.1);
      await new Promise<void>((resolve) => {
        const signal = this.#abort.signal;
        const onAbort = (): void => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, Math.max(backoff, retryAfterMs));
        t.unref();
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}
