import type { EngineTelemetry, FraudSystem, Stats } from '@fraudstream/system';
import { PromText } from './prom-text.js';
import { boundedRules } from './rules-routes.js';
import type { ApiStats } from './score-api.js';
import type { WebhookCounts } from './webhook-sink.js';

/** Most `fraudstream_kafka_lag` series (one per assigned partition): a label set that cannot grow without bound. */
const MAX_LAG_SERIES = 256;

/** Latency bucket bounds in seconds (the engine's fixed buckets): 10 µs to 10 s. */
export { LATENCY_BUCKETS_S } from '@fraudstream/system';

/** What the server itself adds to the engine's figures. */
export interface ServerGauges {
  /** WebSocket clients connected now. */
  wsClients: number;
  /** WebSocket upgrades refused by the guard (origin, host, token or client cap). */
  wsRefused: number;
  /** The alert webhook's counts, when one is configured. */
  webhook?: WebhookCounts | undefined;
  /** The scoring API's counts (`/v1`), when the system has an engine. */
  api?: ApiStats | undefined;
}

/**
 * The Prometheus exposition of a system, built at scrape time from its own independent counts (`stats()`) and its
 * whole-run latency buckets (`telemetry()`, fed per run by the engine): nothing is counted per record for it.
 */
export function renderMetrics(system: FraudSystem, server: ServerGauges): string {
  const stats: Stats = system.stats();
  const telemetry: EngineTelemetry | undefined = system.telemetry?.();
  const c = stats.counts;
  const p = new PromText();
  p.counter('fraudstream_transactions_written_total', 'Transactions written into the ring, counted by each source.', c.written);
  p.counter('fraudstream_transactions_consumed_total', 'Transactions the engine took from the ring into batches.', c.consumed);
  p.counter('fraudstream_transactions_scored_total', 'Transactions the Rust scorer decided (status Scored), counted in Rust.', c.scored);
  p.counter('fraudstream_transactions_invalid_total', "Transactions the scorer's own checks found invalid (decided REVIEW).", c.invalid);
  p.counter('fraudstream_transactions_fallback_total', 'Transactions decided by the fallback after a scorer failure or a dead worker.', c.fallback);
  p.counter('fraudstream_transactions_rejected_total', 'Inputs refused by validation before the ring.', c.rejected);
  p.counter(
    'fraudstream_rejections_by_field_total',
    'Inputs refused by validation, by the field or CSV column at fault.',
    Object.entries(stats.errors.rejectedByField).map(([field, value]) => ({ labels: { field }, value })),
  );
  p.counter('fraudstream_decisions_total', 'Decisions by outcome, counted from the result codes.', [
    { labels: { decision: 'approve' }, value: c.approved },
    { labels: { decision: 'review' }, value: c.review },
    { labels: { decision: 'decline' }, value: c.declined },
  ]);
  p.gauge('fraudstream_transactions_in_flight', 'Transactions in batches cut and not yet decided.', c.inFlight);
  p.counter('fraudstream_labels_total', 'Label records by stage: written by sources, consumed by the engine, applied by the scorer, failed.', [
    { labels: { stage: 'written' }, value: c.labels.written },
    { labels: { stage: 'consumed' }, value: c.labels.consumed },
    { labels: { stage: 'applied' }, value: c.labels.applied },
    { labels: { stage: 'failed' }, value: c.labels.failed },
  ]);
  p.gauge('fraudstream_labels_in_flight', 'Label records in batches cut and not yet finished.', c.labels.inFlight);
  p.counter('fraudstream_batches_dispatched_total', 'Micro-batches cut and handed to the workers.', stats.batches.dispatched);
  p.counter('fraudstream_batches_failed_total', 'Micro-batches decided by the fallback.', stats.batches.failed);
  p.counter('fraudstream_batches_retried_total', 'Micro-batches retried on a fresh worker after their worker died.', stats.batches.retried);
  p.gauge('fraudstream_batches_in_flight', 'Micro-batches cut and not yet finished.', stats.batchesInFlight);
  p.counter('fraudstream_worker_deaths_total', 'Scoring worker threads that died.', stats.workers.deaths);
  p.gauge('fraudstream_workers', 'Scoring worker threads configured.', stats.workers.count);
  p.gauge('fraudstream_queue_depth', 'Records in the ring waiting to be cut into a batch.', stats.queue.depth);
  p.gauge('fraudstream_queue_occupied', 'Ring slots in use (waiting or in flight).', stats.queue.occupied);
  p.gauge('fraudstream_queue_capacity', 'Ring capacity in records.', stats.queue.capacity);
  p.gauge('fraudstream_laws_ok', '1 when every conservation law between the counts holds on this scrape, else 0.', stats.laws.ok ? 1 : 0);
  p.gauge('fraudstream_running', '1 while the source runs.', stats.running ? 1 : 0);
  p.gauge('fraudstream_uptime_seconds', 'Seconds since the system was created.', stats.uptimeS);
  p.gauge('fraudstream_threshold', 'Score thresholds in force.', [
    { labels: { decision: 'review' }, value: stats.thresholds.review },
    { labels: { decision: 'decline' }, value: stats.thresholds.decline },
  ]);
  p.gauge('fraudstream_source_target_tps', 'Rate the source is asked for (0: as fast as it can).', stats.source.targetTps);
  p.counter('fraudstream_source_held_back_seconds_total', 'Wall time the source was held back by a full ring.', stats.source.heldBackMs / 1000);
  p.gauge('fraudstream_source_schedule_lag_seconds', "Lag behind the source's pacing schedule.", stats.source.schedule.lagMs / 1000);
  p.counter('fraudstream_source_shed_total', 'Scheduled transactions skipped when a live source fell over 5 s behind.', stats.source.schedule.shed);
  p.gauge('fraudstream_quality_labelled', 'Decided transactions with a label so far.', stats.quality.labelled);
  p.gauge('fraudstream_quality_ratio', 'Live precision, recall and false-positive rate from the labels so far.', [
    { labels: { measure: 'precision' }, value: stats.quality.precision },
    { labels: { measure: 'recall' }, value: stats.quality.recall },
    { labels: { measure: 'fpr' }, value: stats.quality.fpr },
  ]);
  const ch = stats.challenger;
  if (ch !== null && ch !== undefined) {
    // Gauges, not counters: they start again from 0 when another challenger is loaded.
    p.gauge('fraudstream_challenger_info', 'The challenger scored in shadow (value 1; the version is the label).', [{ labels: { version: ch.version }, value: 1 }]);
    p.gauge('fraudstream_challenger_transactions', 'Transactions the challenger took in shadow since it was loaded, by outcome.', [
      { labels: { outcome: 'scored' }, value: ch.counts.scored },
      { labels: { outcome: 'invalid' }, value: ch.counts.invalid },
      { labels: { outcome: 'failed' }, value: ch.counts.failed },
    ]);
    const q = ch.quality;
    p.gauge(
      'fraudstream_challenger_quality_ratio',
      'Precision, recall, false-positive rate and average precision of champion and challenger over the same window of labelled transactions.',
      (['champion', 'challenger'] as const).flatMap((bundle) => [
        { labels: { bundle, measure: 'precision' }, value: q[bundle].precision },
        { labels: { bundle, measure: 'recall' }, value: q[bundle].recall },
        { labels: { bundle, measure: 'fpr' }, value: q[bundle].fpr },
        { labels: { bundle, measure: 'average_precision' }, value: q[bundle].averagePrecision },
      ]),
    );
  }
  // Rule hits: the first MAX_PUSHED_RULES rules in text order (the label's cardinality stays bounded); a rule set
  // replaced starts at 0, which Prometheus reads as a counter reset.
  const rules = boundedRules(stats.rules);
  p.counter('fraudstream_rule_hits_total', 'Transactions each live rule fired on since its rule set went live (counted in Rust).', rules.rules.map((r) => ({ labels: { rule: r.name }, value: r.hits })));
  p.counter('fraudstream_list_hits_total', 'Transactions decided by the allow list (APPROVE) or the block list (DECLINE) since the rule set went live.', [
    { labels: { list: 'allow' }, value: stats.rules.allowHits },
    { labels: { list: 'block' }, value: stats.rules.blockHits },
  ]);
  p.gauge('fraudstream_rules_live', 'Rules in the live rule set.', stats.rules.rules.length);
  p.gauge('fraudstream_rules_generation', 'The scorer generation in force (each rules, bundle or model swap makes a new one).', stats.rules.generation);
  const kafka = stats.kafka;
  if (kafka !== undefined) {
    // Bounded cardinality: one series per assigned partition of the transactions topic, at most MAX_LAG_SERIES
    // (partitions beyond are summed in the total only).
    const tx = kafka.partitions.filter((q) => q.topic === kafka.topic).slice(0, MAX_LAG_SERIES);
    p.gauge(
      'fraudstream_kafka_lag',
      "Messages of each assigned partition of the transactions topic not yet read (end offset - position), at the source's last refresh.",
      tx.map((q) => ({ labels: { partition: String(q.partition) }, value: q.lag })),
    );
    p.gauge('fraudstream_kafka_lag_total', 'Messages not yet read, summed over every assigned partition (transactions and labels).', kafka.lag);
    p.gauge('fraudstream_kafka_partitions_assigned', 'Partitions of the transactions topic assigned to this instance.', kafka.partitions.filter((q) => q.topic === kafka.topic).length);
    p.counter('fraudstream_kafka_produced_total', 'Decisions the broker acknowledged on the decisions topic.', kafka.produced);
    p.counter('fraudstream_kafka_rebalances_total', 'Group rebalances this instance took part in.', kafka.rebalances);
    p.counter('fraudstream_kafka_rebalance_drains_total', 'Drains before a rebalance (in-flight decisions acknowledged and committed before the partitions move).', kafka.drains.count);
    p.counter('fraudstream_kafka_rebalance_drain_timeouts_total', 'Drains that reached their bound before everything fetched was acknowledged.', kafka.drains.timedOut);
    p.counter('fraudstream_kafka_rebalance_drain_uncovered_total', 'Drains whose checkpoint did not cover everything drained before the bound.', kafka.drains.uncovered);
    p.gauge('fraudstream_kafka_rebalance_drain_max_seconds', 'Longest drain before a rebalance.', kafka.drains.maxMs / 1000);
    p.counter('fraudstream_kafka_rebalance_drain_committed_total', 'Records whose offsets the drains committed.', kafka.drains.committedRecords);
    p.counter('fraudstream_kafka_replayed_total', 'Transactions replayed (state only, decision not output) to hand a moved partition over.', kafka.replayed);
    p.counter('fraudstream_kafka_replayed_labels_total', 'Labels replayed (applied by the previous owner) to hand a moved partition over.', kafka.replayedLabels);
  }
  p.gauge('fraudstream_websocket_clients', 'WebSocket clients connected.', server.wsClients);
  p.counter('fraudstream_websocket_refused_total', 'WebSocket upgrades refused (origin, host, token or client cap).', server.wsRefused);
  const api = server.api;
  if (api !== undefined) {
    p.counter('fraudstream_api_score_requests_total', 'POST /v1/score requests by outcome: received, answered, past the deadline (fallback answer).', [
      { labels: { outcome: 'received' }, value: api.score.requests },
      { labels: { outcome: 'answered' }, value: api.score.answered },
      { labels: { outcome: 'deadline_miss' }, value: api.score.deadlineMisses },
    ]);
    p.counter('fraudstream_api_deadline_misses_total', 'POST /v1/score requests answered by the deadline fallback.', api.score.deadlineMisses);
    p.counter('fraudstream_api_score_batches_total', 'Micro-batches of /v1/score requests handed to the engine.', api.score.batches);
    p.gauge('fraudstream_api_score_pending', '/v1/score requests waiting for their decision.', api.score.pending);
    p.counter('fraudstream_api_bulk_lines_total', 'POST /v1/transactions lines by outcome.', [
      { labels: { outcome: 'accepted' }, value: api.bulk.accepted },
      { labels: { outcome: 'rejected' }, value: api.bulk.rejected },
    ]);
    p.counter('fraudstream_api_bulk_pauses_total', 'Bulk uploads paused because the ring was full (backpressure).', api.bulk.pauses);
    p.counter('fraudstream_api_labels_total', 'POST /v1/labels labels by outcome.', [
      { labels: { outcome: 'accepted' }, value: api.labels.accepted },
      { labels: { outcome: 'unknown' }, value: api.labels.unknown },
    ]);
  }
  const w = server.webhook;
  if (w !== undefined) {
    p.counter('fraudstream_webhook_alerts_total', 'Alerts through the webhook sink by outcome.', [
      { labels: { outcome: 'offered' }, value: w.alertsIn },
      { labels: { outcome: 'sent' }, value: w.alertsSent },
      { labels: { outcome: 'dropped' }, value: w.alertsDropped },
      { labels: { outcome: 'failed' }, value: w.alertsFailed },
      { labels: { outcome: 'omitted' }, value: w.alertsOmitted },
    ]);
    p.counter('fraudstream_webhook_messages_total', 'Webhook messages by outcome.', [
      { labels: { outcome: 'sent' }, value: w.messagesSent },
      { labels: { outcome: 'failed' }, value: w.messagesFailed },
    ]);
    p.counter('fraudstream_webhook_retries_total', 'Webhook POSTs retried.', w.retries);
    p.gauge('fraudstream_webhook_queued', 'Alerts waiting for the webhook.', w.queued);
  }
  if (telemetry !== undefined) {
    p.counter('fraudstream_worker_busy_seconds_total', 'Run time of the scoring worker tasks (claiming and scoring batches).', telemetry.workerBusyMs / 1000);
    p.gauge('fraudstream_model_info', 'The model in use (value 1; the version is the label).', [
      { labels: { version: telemetry.modelVersion }, value: 1 },
    ]);
    for (const [name, help, b] of [
      ['fraudstream_ingest_to_decision_seconds', 'Latency from the ring slot to the decision, since the start.', telemetry.ingestLatency],
      [
        'fraudstream_schedule_to_decision_seconds',
        "Latency from when the transaction was due in the source's schedule to the decision, since the start.",
        telemetry.scheduleLatency,
      ],
      ['fraudstream_queue_wait_seconds', 'Per transaction, from its ring slot to the cut of its batch (ring and linger), since the start.', telemetry.queueWait],
      ['fraudstream_batch_seconds', 'Per micro-batch, from its cut to finished (worker wait, scoring, completion in order), since the start.', telemetry.batchTime],
    ] as const) {
      p.histogram(name, help, b.boundsS, b.cumulative, b.count, b.sumS);
    }
  }
  return p.toString();
}
