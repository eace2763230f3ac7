import { DECISION_NAMES, type DecisionName } from '@fraudstream/schema';
import { brokerList, KafkaOptionsRangeError, KafkaOptionsTypeError, stringOption, topicName } from './errors.js';
import { SerialProducer, type OutMessage } from './serial-producer.js';
import { DEFAULT_TOPICS } from './topics.js';

/** A decided transaction, as the engine hands it to an output. */
export interface DecidedRecord {
  /** Transaction id. */
  txId: string;
  /** Decision id, the same whenever the same input message is decided again (see `KafkaSource.decisionIdAt`). */
  decisionId: string;
  /**
   * Card id: the message key when `cardRef` is absent (so a card's decisions stay in one partition); never written
   * into the value.
   */
  cardId?: string;
  /**
   * A keyed reference of the card (e.g. `CardRefHasher` of `@fraudstream/store`): when present it is the message key
   * instead of the card id, so the raw card id leaves the process nowhere.
   */
  cardRef?: string;
  decision: DecisionName;
  /** Score, 0..1. */
  score: number;
  /** Reason codes (rules that fired, top feature contributions). */
  reasons: readonly string[];
  /** Ingest-to-decision latency, microseconds. */
  latencyUs?: number;
  modelVersion?: string;
}

/** Options of {@link KafkaDecisionSink}. */
export interface KafkaDecisionSinkOptions {
  /** Bootstrap brokers: `HOST:PORT`, a comma-separated list or an array. */
  brokers: string | string[];
  /** Every decision (default `fraud-decisions`). */
  decisionsTopic?: string;
  /** REVIEW and DECLINE decisions (default `fraud-alerts`). */
  alertsTopic?: string;
  /** Client id (default `fraudstream-decisions`). */
  clientId?: string;
}

/** Counters of a {@link KafkaDecisionSink}. */
export interface DecisionSinkStats {
  /** Decisions the broker acknowledged on the decisions topic. */
  produced: number;
  /** Alerts the broker acknowledged on the alerts topic. */
  alerts: number;
  /** Decisions handed to `send` and not yet acknowledged. */
  inFlight: number;
  /** `send` calls that failed (their decisions were not all acknowledged). */
  failedSends: number;
}

/** Most decisions in one `send`. */
export const MAX_DECISIONS_PER_SEND = 100_000;

/**
 * Produces decisions to the decisions topic and alerts (REVIEW/DECLINE) to the alerts topic, keyed by card id, with
 * an idempotent producer (acks from all in-sync replicas, no duplicates from the producer's own retries; one request
 * in flight, concurrent `send`s grouped into the next request). `send` resolves once the broker has acknowledged
 * every message of the call: the point after which the input offsets of those decisions may be committed.
 *
 * Value (JSON): `{"id", "decisionId", "decision", "score", "reasons", "latencyUs"?, "modelVersion"?}`; the card id
 * travels only as the key, never in the value or in any log.
 */
export class KafkaDecisionSink {
  readonly decisionsTopic: string;
  readonly alertsTopic: string;
  private readonly producer: SerialProducer;
  private produced = 0;
  private alerts = 0;
  private inFlight = 0;
  private failedSends = 0;
  private closed = false;

  constructor(options: KafkaDecisionSinkOptions) {
    if (typeof options !== 'object' || options === null) throw new KafkaOptionsTypeError('options must be an object');
    const brokers = brokerList(options.brokers, 'options.brokers');
    this.decisionsTopic = topicName(options.decisionsTopic ?? DEFAULT_TOPICS.decisions, 'options.decisionsTopic');
    this.alertsTopic = topicName(options.alertsTopic ?? DEFAULT_TOPICS.alerts, 'options.alertsTopic');
    const clientId = stringOption(options.clientId ?? 'fraudstream-decisions', 'options.clientId');
    this.producer = new SerialProducer({ clientId, brokers });
  }

  /** Produces `decisions` (and their alerts); resolves when the broker acknowledged all of them. */
  async send(decisions: readonly DecidedRecord[]): Promise<void> {
    if (this.closed) throw new Error('the decision sink is closed');
    if (!Array.isArray(decisions)) throw new KafkaOptionsTypeError('decisions must be an array');
    if (decisions.length > MAX_DECISIONS_PER_SEND) {
      throw new KafkaOptionsRangeError(`decisions must hold at most ${MAX_DECISIONS_PER_SEND} records per send`);
    }
    if (decisions.length === 0) return;
    const { messages, alerts } = decisionMessages(decisions, this.decisionsTopic, this.alertsTopic);
    this.inFlight += decisions.length;
    try {
      await this.producer.send(messages);
      this.produced += decisions.length;
      this.alerts += alerts;
    } catch (err) {
      this.failedSends++;
      throw err;
    } finally {
      this.inFlight -= decisions.length;
    }
  }

  /** Current counters. */
  stats(): DecisionSinkStats {
    return { produced: this.produced, alerts: this.alerts, inFlight: this.inFlight, failedSends: this.failedSends };
  }

  /** Closes the producer (after the sends in flight). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.producer.close();
  }
}

/**
 * The messages of `decisions`: each to `decisionsTopic`, REVIEW/DECLINE also to `alertsTopic`, key = the card's
 * reference (or id); a TypeError/RangeError names the bad field of `decisions[i]`.
 */
export function decisionMessages(decisions: readonly DecidedRecord[], decisionsTopic: string, alertsTopic: string): { messages: OutMessage[]; alerts: number } {
  const messages: OutMessage[] = [];
  let alerts = 0;
  decisions.forEach((d, i) => {
    const value = Buffer.from(decisionJson(d, i));
    const key = Buffer.from((d.cardRef ?? d.cardId)!);
    messages.push({ topic: decisionsTopic, key, value });
    if (d.decision !== 'APPROVE') {
      messages.push({ topic: alertsTopic, key, value });
      alerts++;
    }
  });
  return { messages, alerts };
}

/** The JSON value of a decision; a TypeError names the bad field of `decisions[i]`. */
function decisionJson(d: DecidedRecord, i: number): string {
  const at = `decisions[${i}]`;
  if (typeof d !== 'object' || d === null) throw new KafkaOptionsTypeError(`${at} must be an object`);
  for (const f of ['txId', 'decisionId', 'cardId', 'cardRef'] as const) {
    const v = d[f];
    if ((f === 'cardId' || f === 'cardRef') && v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > 256) {
      throw new KafkaOptionsTypeError(`${at}.${f} must be a non-empty string of at most 256 characters`);
    }
  }
  if (d.cardId === undefined && d.cardRef === undefined) throw new KafkaOptionsTypeError(`${at}.cardRef or ${at}.cardId is required (the key)`);
  if (!DECISION_NAMES.includes(d.decision)) throw new KafkaOptionsTypeError(`${at}.decision must be one of ${DECISION_NAMES.join(', ')}`);
  if (typeof d.score !== 'number' || !(d.score >= 0 && d.score <= 1)) throw new KafkaOptionsRangeError(`${at}.score must be a number from 0 to 1`);
  if (!Array.isArray(d.reasons) || !d.reasons.every((r) => typeof r === 'string')) {
    throw new KafkaOptionsTypeError(`${at}.reasons must be an array of strings`);
  }
  let s =
    `{"id":${JSON.stringify(d.txId)},"decisionId":${JSON.stringify(d.decisionId)},"decision":"${d.decision}",` +
    `"score":${d.score},"reasons":${JSON.stringify(d.reasons)}`;
  if (d.latencyUs !== undefined) {
    if (typeof d.latencyUs !== 'number' || !Number.isFinite(d.latencyUs)) throw new KafkaOptionsTypeError(`${at}.latencyUs must be a finite number`);
    s += `,"latencyUs":${d.latencyUs}`;
  }
  if (d.modelVersion !== undefined) {
    if (typeof d.modelVersion !== 'string') throw new KafkaOptionsTypeError(`${at}.modelVersion must be a string`);
    s += `,"modelVersion":${JSON.stringify(d.modelVersion)}`;
  }
  return `${s}}`;
}
