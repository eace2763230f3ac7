import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine, checkLaws, defaultModelPath, faultsFromEnv, type DecidedBatch } from '@fraudstream/engine';
import { KafkaDecisionSink, KafkaSource, TerminalTable, TransactionalDecisionSink, parseTerminalTableState, type TerminalTableEntry, type DecidedRecord, type GroupMember, type TransactionOffsets, type KafkaSourceStats, type PartitionStats, type TerminalTableStats } from '@fraudstream/kafka';
import { decodeReasons, modelVersionOf } from '@fraudstream/scorer';
import { DECISION_NAMES, ResultStatus } from '@fraudstream/schema';
import { CardRefHasher, refToHex } from '@fraudstream/store';
import type { EngineTuning } from './create-system.js';
import type { FraudSystem, Stats } from './fraud-system.js';
import { writeFileAtomic } from './checkpoint.js';
import { KafkaCheckpoints, type AppliedOffset, type CheckpointPart, type KafkaCheckpointStats } from './kafka-checkpoint.js';
import { validateKafkaSystemConfig, type KafkaSystemConfig } from './kafka-system-config.js';

/** The Kafka part of the stats: the source's partitions and lag, the output's acknowledgements and the commits. */
export interface KafkaStats {
  brokers: string[];
  group: string;
  topic: string;
  /** Assigned partitions with position, end offset, lag and last commit. */
  partitions: PartitionStats[];
  /** Sum of the partitions' lag. */
  lag: number;
  /** Decisions the broker acknowledged on the decisions topic, alerts on the alerts topic. */
  produced: number;
  alerts: number;
  /** Decisions handed to the producer and not yet acknowledged. */
  unacknowledged: number;
  /** Ring sequence below which every record is decided and its decision acknowledged. */
  ackedSeq: number;
  /** Ring sequence below which the input offsets are committed. */
  committedSeq: number;
  commits: number;
  /** Failed produce or commit attempts (each retried), and source restarts after a broker failure. */
  sendRetries: number;
  commitFailures: number;
  sourceRestarts: number;
  /** Group rebalances this instance took part in (each starts a drain, below). */
  rebalances: number;
  /** The drains on a rebalance (see {@link RebalanceDrainStats}). */
  drains: RebalanceDrainStats;
  /** Messages delivered again that this process had already applied, skipped (after a rebalance or a restart). */
  redeliveredSkipped: number;
  /** Hand-overs by replay (a partition arrived with messages decided elsewhere), and the transactions they replayed. */
  replays: number;
  replayed: number;
  /** Labels the hand-over replays applied (the moved partition's previous owner had applied them). */
  replayedLabels: number;
  /** Messages rejected (sent to the dead-letter topic) and acknowledged there. */
  rejected: number;
  deadLettered: number;
  unknownLabels: number;
  /** Consumption held back because too many decisions wait for acknowledgement. */
  outputPaused: boolean;
  /** The global terminal table, when `config.terminalTableTopic` is given. */
  terminalTable?: TerminalTableStats;
  /** Checkpoints, when `config.checkpointDir` is given. */
  checkpoints?: KafkaCheckpointStats;
  /** The exactly-once output's transactions (when `config.exactlyOnce`): committed, aborted, why it failed. */
  transactions?: { transactionalId: string; committed: number; aborted: number; error?: string };
  lastError?: string;
}

/**
 * Drains on a rebalance: before rejoining the group the instance stops fetching, lets what it fetched be decided and
 * acknowledged, and commits it (with `--data-dir`, below a checkpoint; with `--exactly-once`, the checkpoint's cut
 * commits the open transaction with its offsets).
 */
export interface RebalanceDrainStats {
  /** Drains run, and those that reached their bound before everything fetched was acknowledged. */
  count: number;
  timedOut: number;
  /** Drains whose checkpoint did not cover everything drained before the bound (with `--data-dir`). */
  uncovered: number;
  /** Duration of the last drain and the longest, ms (notice of the rebalance to the commit's answer). */
  lastMs: number;
  maxMs: number;
  /** Ring records (transactions and labels) whose offsets the drains' commits moved past. */
  committedRecords: number;
  /** Rejoins the source held for a drain, and holds that reached the bound. */
  rejoinsHeld: number;
  holdTimeouts: number;
  /** Fetched messages of partitions lost in a rebalance, dropped unwritten (their new owner decides them). */
  droppedRevoked: number;
}

/** A system fed by Kafka: the {@link FraudSystem} API plus its engine and Kafka counters. */
export interface KafkaSystem extends FraudSystem {
  readonly engine: Engine;
  /** Kafka counters (also in `stats().kafka`). */
  kafkaStats(): KafkaStats;
  /** The current source's own counters. */
  sourceStats(): KafkaSourceStats;
}

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Composes a Kafka-fed system: a {@link KafkaSource} (consumer group) writing into the engine's ring, and every
 * decided batch produced by a {@link KafkaDecisionSink} (decisions topic, alerts topic, key = the card's keyed
 * reference, never its id). Input offsets are committed only below the ring sequence whose decisions the broker has
 * acknowledged, and, when `config.durableSeq` is given, that a checkpoint covers (the durability seam): a crash
 * redelivers what was not committed, and the same input message yields the same decision id
 * (`topic-partition-offset`).
 *
 * A decision send that fails (a broker restart) is retried with the same messages until acknowledged; a source that
 * fails (its consumer lost the broker) is replaced by a new member of the group once everything it wrote is decided.
 */
export async function createKafkaSystem(config: KafkaSystemConfig, tuning: EngineTuning = {}): Promise<KafkaSystem> {
  const cfg = validateKafkaSystemConfig(config);
  const modelPath = cfg.modelPath ?? defaultModelPath();
  const modelJson = await readFile(modelPath, 'utf8');
  const modelVersion = modelVersionOf(modelPath, modelJson);
  const engine = await Engine.create({
    modelJson,
    modelVersion,
    ...(cfg.workers === undefined ? {} : { workers: cfg.workers }),
    ...(cfg.thresholds === undefined ? {} : { thresholds: cfg.thresholds }),
    ...tuning,
  });
  const table =
    cfg.terminalTableTopic === undefined
      ? undefined
      : new TerminalTable(
          { brokers: cfg.brokers, topic: cfg.terminalTableTopic, clientId: cfg.clientId, publishIntervalMs: cfg.terminalTableIntervalMs ?? 2000 },
          engine.scorer,
          // Called from the first publish round on, once the source below exists.
          () => new Set(source.stats().partitions.filter((p) => p.topic === cfg.topic).map((p) => p.partition)),
        );
  // The table's counts at the pending checkpoint: merged at its barrier, own once the decided batches reach it.
  let tableAt: { seq: number; merged: TerminalTableEntry[]; own?: TerminalTableEntry[] } | undefined;
  const captureOwn = (): void => {
    if (table !== undefined && tableAt !== undefined && tableAt.own === undefined) tableAt.own = table.ownEntries();
  };
  const tablePart: CheckpointPart | undefined =
    table === undefined
      ? undefined
      : {
          name: 'terminal-table',
          atBarrier: (seq) => {
            tableAt = { seq, merged: table.hold() };
            // Every batch before the barrier is decided already (and none after): own matches the snapshot now.
            if (lastEnd() >= seq) captureOwn();
          },
          afterSnapshot: () => table.release(),
          save: () => {
            const at = tableAt;
            tableAt = undefined;
            if (at?.own === undefined) throw new Error('the terminal table was not captured at the checkpoint barrier');
            return Buffer.from(JSON.stringify(table.state(at.own, at.merged)));
          },
          load: (bytes) => {
            const state = parseTerminalTableState(bytes.toString('utf8'));
            if (faultsFromEnv()?.loseTerminalTableState !== true) table.restore(state);
          },
        };
  const checkpoints =
    cfg.checkpointDir === undefined
      ? undefined
      : new KafkaCheckpoints(cfg.checkpointDir, engine, cfg.group, cfg.topic, modelVersion, tablePart === undefined ? [] : [tablePart]);
  let restoredApplied: { topic: string; partition: number; offset: number }[] = [];
  try {
    // Before the first batch: the scorer state of the newest complete checkpoint, and what it already holds.
    restoredApplied = checkpoints?.restore() ?? [];
  } catch (err) {
    await table?.close();
    await engine.close();
    throw err;
  }
  const refs = new CardRefHasher(cfg.cardRefSecret);
  const refWords = new Uint32Array(2);
  const topics = {
    ...(cfg.decisionsTopic === undefined ? {} : { decisionsTopic: cfg.decisionsTopic }),
    ...(cfg.alertsTopic === undefined ? {} : { alertsTopic: cfg.alertsTopic }),
  };
  const eos =
    cfg.exactlyOnce === true
      ? new TransactionalDecisionSink({
          brokers: cfg.brokers,
          clientId: `${cfg.clientId}-decisions`,
          transactionalId: cfg.transactionalId ?? (await transactionalIdOf(cfg.checkpointDir!, cfg.group)),
          // Longer than a checkpoint interval plus the snapshot, or the broker aborts the transaction itself.
          transactionTimeoutMs: Math.min(900_000, Math.max(60_000, 3 * (cfg.checkpointIntervalMs ?? 10_000))),
          ...topics,
        })
      : undefined;
  const output: KafkaDecisionSink | TransactionalDecisionSink = eos ?? new KafkaDecisionSink({ brokers: cfg.brokers, clientId: `${cfg.clientId}-decisions`, ...topics });

  const createdMs = performance.now();
  let lastError: string | undefined;
  let sendRetries = 0;
  let commitFailures = 0;
  let sourceRestarts = 0;
  let rebalances = 0;
  const drains = { count: 0, timedOut: 0, uncovered: 0, lastMs: 0, maxMs: 0, committedRecords: 0 };
  const skipDrain = faultsFromEnv()?.skipRebalanceDrain === true;
  let commits = 0;
  let closed = false;
  let userRunning = false;
  let outputPaused = false;
  let fatal: Error | undefined;
  // Exactly-once: the barrier whose transaction cut is pending, and the group member the open transaction reads for
  // (captured when its first decision is sent; a rebalance since makes the broker refuse its offsets: KIP-447).
  let barrier: {
    seq: number;
    applied: AppliedOffset[];
    cut?: Promise<boolean>;
    member?: GroupMember;
    partitions?: Set<string>;
    resolve?: (o: TransactionOffsets | null) => void;
  } | undefined;
  let txnMember: GroupMember | undefined;
  // The input partitions (by partitionKey) whose decisions are in the open transaction.
  let txnPartitions = new Set<string>();
  /** The partitions assigned to this instance now, by partitionKey. */
  const ownedPartitions = (): Set<string> => new Set(source.stats().partitions.map(partitionKey));
  const failFatally = (err: Error): void => {
    if (fatal !== undefined) return;
    fatal = err;
    lastError = `exactly-once output: ${err.message}`;
    source.stop();
    cfg.onFatal?.(err);
  };
  if (eos !== undefined) eos.onFatal = failFatally;
  /** Places the transaction cut of the pending barrier in the output stream (once, when every batch before it was sent). */
  const cutAtBarrier = (): void => {
    if (eos === undefined || barrier === undefined || barrier.cut !== undefined) return;
    const b = barrier;
    // The transaction ending here reads for the member of its first decision; the next one captures its own.
    b.member = txnMember;
    txnMember = undefined;
    b.partitions = txnPartitions;
    txnPartitions = new Set();
    b.cut = eos.cut(new Promise<TransactionOffsets | null>((resolve) => (b.resolve = resolve)));
    b.cut.catch(() => undefined);
  };
  /** Counts of sources replaced after a failure, so `written` stays the sum over every source of this system. */
  const retired = {
    transactions: 0,
    labels: 0,
    rejected: 0,
    deadLettered: 0,
    unknownLabels: 0,
    redeliveredSkipped: 0,
    replays: 0,
    replayed: 0,
    replayedLabels: 0,
    rejoinsHeld: 0,
    holdTimeouts: 0,
    revokedDropped: 0,
  };

  const newSource = (skipBelow: { topic: string; partition: number; offset: number }[] = []): KafkaSource =>
    new KafkaSource({
      skipBelow,
      sink: engine.sink,
      brokers: cfg.brokers,
      group: cfg.group,
      topic: cfg.topic,
      labelsTopic: cfg.labelsTopic,
      clientId: cfg.clientId,
      ...(cfg.deadLetterTopic === undefined ? {} : { deadLetterTopic: cfg.deadLetterTopic }),
      ...(cfg.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: cfg.sessionTimeoutMs }),
      ...(cfg.handover === undefined ? {} : { handover: cfg.handover }),
      ...(cfg.replayWindowMs === undefined ? {} : { replayWindowMs: cfg.replayWindowMs }),
      onError: (err) => onSourceError(err),
      // The source stops fetching and holds the group's rejoin until this settles (bounded): what it fetched is
      // decided, acknowledged and committed under the old generation, so the new owners start after it.
      // Exactly-once: the drain's checkpoint cuts the open transaction and commits it with the drained offsets under
      // the old generation, so the transaction never holds decisions of a partition this member is about to lose.
      onRebalance: () => {
        rebalances++;
        if (skipDrain) {
          void commit();
          return undefined;
        }
        return drainForRebalance();
      },
    });
  let source = newSource(restoredApplied);
  let tableStarted: Promise<void> | undefined;
  engine.addWriter(() => {
    const s = source.stats();
    return { transactions: retired.transactions + s.generated, labels: retired.labels + s.labelsEmitted };
  });

  // Decided batches in ingest order, waiting for the broker's acknowledgement of their decisions.
  const pendingEnds: number[] = [];
  const pendingDone: boolean[] = [];
  let pendingHead = 0;
  let ackedSeq = 0;
  let committedSeq = 0;
  let unacked = 0;

  const lastEnd = (): number => pendingEnds[pendingEnds.length - 1] ?? ackedSeq;
  const advance = (): void => {
    while (pendingHead < pendingEnds.length && pendingDone[pendingHead] === true) {
      ackedSeq = pendingEnds[pendingHead]!;
      pendingHead++;
    }
    if (pendingHead > 4096 && pendingHead * 2 > pendingEnds.length) {
      pendingEnds.splice(0, pendingHead);
      pendingDone.splice(0, pendingHead);
      pendingHead = 0;
    }
    if (outputPaused && unacked <= cfg.maxUnacknowledged / 2) {
      outputPaused = false;
      // A failed source rejects here; its replacement is already on the way (onSourceError).
      if (userRunning) source.start().catch(() => undefined);
    }
  };

  const sendWithRetry = async (decisions: DecidedRecord[]): Promise<void> => {
    let delay = 100;
    for (;;) {
      try {
        await output.send(decisions);
        return;
      } catch (err) {
        // A failed transaction cannot be retried into: the exactly-once sink has failed the instance (onFatal).
        if (closed || eos !== undefined) throw err;
        sendRetries++;
        lastError = `decision send: ${err instanceof Error ? err.message : String(err)}`;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  };

  engine.onBatch((b: DecidedBatch) => {
    // The first batch after a checkpoint barrier: the transaction of the batches before it ends here.
    if (barrier !== undefined && b.seq >= barrier.seq) cutAtBarrier();
    if (tableAt !== undefined && b.seq >= tableAt.seq) captureOwn();
    const { records, results } = b;
    const decisions: DecidedRecord[] = [];
    const src = source;
    for (let i = 0; i < b.count; i++) {
      const slot = b.slot + i;
      if (table !== undefined) {
        // What this instance applied to its terminal state, by partition, for the global terminal table.
        const status = results.status(slot);
        const at = src.positionAt(slot);
        if (at !== undefined && (status === ResultStatus.Scored || status === ResultStatus.Label)) {
          const label = records.isLabel(slot) ? { fraud: records.isFraud(slot) } : undefined;
          table.record(at.partition, records.termKeyLo(slot), records.termKeyHi(slot), records.timestampMs(slot), label);
        }
      }
      // A replay record (a partition's hand-over) only rebuilds state: its decision was output by the partition's
      // previous owner.
      if (records.isLabel(slot) || src.isReplayAt(slot)) continue;
      if (eos !== undefined) {
        const at = src.positionAt(slot);
        if (at !== undefined) txnPartitions.add(partitionKey(at));
      }
      const txNum = records.txNum(slot);
      refs.refOfKeyInto(records.cardKeyLo(slot), records.cardKeyHi(slot), refWords, 0);
      decisions.push({
        txId: src.txIdAt(slot) ?? (Number.isNaN(txNum) ? `seq:${b.seq + i}` : String(txNum)),
        decisionId: src.decisionIdAt(slot),
        cardRef: refToHex(refWords[0]!, refWords[1]!),
        decision: DECISION_NAMES[results.decisionCode(slot)] ?? 'REVIEW',
        score: results.score(slot),
        reasons: decodeReasons(results.u8, slot),
        latencyUs: Math.round((now() - records.ingestMs(slot)) * 1000),
        // The version of the scorer generation that made this decision (a bundle or rules swap makes a new one).
        modelVersion: engine.generationInfo(results.generation(slot)).version,
      });
    }
    // The last batch before a checkpoint barrier is recorded: the table's own counts match its snapshot.
    if (tableAt !== undefined && b.seq + b.count >= tableAt.seq) captureOwn();
    pendingEnds.push(b.seq + b.count);
    pendingDone.push(decisions.length === 0);
    if (decisions.length === 0) {
      advance();
      return;
    }
    unacked += decisions.length;
    if (eos !== undefined) txnMember ??= source.member();
    if (!outputPaused && unacked > cfg.maxUnacknowledged) {
      // The broker acknowledges slower than the engine decides: hold consumption back rather than queue without bound.
      outputPaused = true;
      source.stop();
    }
    void sendWithRetry(decisions).then(
      () => {
        unacked -= decisions.length;
        markDone(b.seq + b.count);
      },
      () => undefined,
    );
  });

  // Marks the pending batch ending at `end` done; indices shift when the arrays are compacted, so it is found by its
  // end (ends increase strictly: a binary search).
  const markDone = (end: number): void => {
    let lo = pendingHead;
    let hi = pendingEnds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = pendingEnds[mid]!;
      if (e === end) {
        pendingDone[mid] = true;
        break;
      }
      if (e < end) lo = mid + 1;
      else hi = mid - 1;
    }
    advance();
  };

  let committing = false;
  let commitDone: Promise<void> = Promise.resolve();
  const commit = (): Promise<void> => {
    if (committing) return Promise.resolve();
    commitDone = commitNow();
    return commitDone;
  };
  const commitNow = async (): Promise<void> => {
    // Exactly-once: offsets are committed only inside the output's transactions (at checkpoints).
    if (committing || eos !== undefined) return;
    // The durability seam: offsets move only below what is both acknowledged and covered by a checkpoint.
    let covered = cfg.durableSeq === undefined ? ackedSeq : Math.min(ackedSeq, cfg.durableSeq());
    if (checkpoints !== undefined) covered = Math.min(covered, checkpoints.durableSeq());
    if (covered <= committedSeq) return;
    committing = true;
    try {
      const done = await source.commitReleased(covered);
      committedSeq = covered;
      if (done.length > 0) commits++;
    } catch (err) {
      commitFailures++;
      lastError = `commit: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      committing = false;
    }
  };
  const commitTimer = setInterval(() => void commit(), cfg.commitIntervalMs);

  /**
   * The drain on a rebalance, while the source holds the rejoin and fetches nothing: waits (bounded) until what the
   * source fetched is in the ring, decided and acknowledged (with --exactly-once: sent into the open transaction),
   * then commits it: after a checkpoint covering it with `--data-dir`; with --exactly-once that checkpoint's cut
   * commits the transaction with its offsets. The old generation's commits are accepted while the group waits for
   * this member's rejoin. Past the bound the rejoin goes anyway; with --exactly-once a transaction still holding
   * decisions of a partition lost in the rebalance is then aborted at its cut (exit 75, restart from the checkpoint).
   */
  const drainForRebalance = async (): Promise<void> => {
    const t0 = performance.now();
    // Below the source's hold, so the commit has time to go before the rejoin is released anyway.
    const deadline = t0 + source.rebalanceHoldMs * 0.8;
    const before = committedSeq;
    const s = source;
    drains.count++;
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 2));
    let complete = false;
    try {
      while (s.unwritten() > 0 && performance.now() < deadline) await pause();
      if (s.unwritten() === 0) {
        await Promise.race([engine.drain(), new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())))]);
        while (ackedSeq < lastEnd() && performance.now() < deadline) await pause();
        complete = s.unwritten() === 0 && ackedSeq >= lastEnd();
      }
      if (!complete) drains.timedOut++;
      if (checkpoints !== undefined) {
        // Offsets move only below a checkpoint: one covering the drained batches (it commits when written). A
        // checkpoint already running has its barrier before them: then a second one.
        const target = lastEnd();
        const covered = (): number => (eos !== undefined ? committedSeq : checkpoints.durableSeq());
        for (let k = 0; k < 2 && covered() < target && performance.now() < deadline; k++) {
          await Promise.race([takeCheckpoint(), new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())))]);
        }
        if (covered() < target) drains.uncovered++;
      }
      await commitDone;
      await commit();
    } finally {
      drains.committedRecords += Math.max(0, committedSeq - before);
      drains.lastMs = Math.round(performance.now() - t0);
      drains.maxMs = Math.max(drains.maxMs, drains.lastMs);
    }
  };
  commitTimer.unref();
  const takeCheckpoint = (): Promise<void> => {
    if (checkpoints === undefined || closed) return Promise.resolve();
    if (eos === undefined) return checkpoints.take(() => source.applied(), () => ackedSeq).then(() => commit());
    if (fatal !== undefined) return Promise.resolve();
    return checkpoints
      .take(() => source.applied(), () => ackedSeq, 30_000, {
        onBarrier: (seq, applied) => {
          // Offsets only of the partitions assigned now (a partition revoked earlier is another member's to commit).
          const owned = ownedPartitions();
          barrier = { seq, applied: applied.filter((a) => owned.has(partitionKey(a))) };
          if (lastEnd() >= seq) cutAtBarrier();
        },
        beforeRecord: async (seq) => {
          const b = barrier!;
          cutAtBarrier();
          // Decisions of a partition revoked since they were made (records fetched before a rebalance, decided after
          // it, under the new member) must not commit: the transaction has no offset for that partition, so its new
          // owner decides them again. Abort, and restart from the checkpoint like a refused generation.
          const owned = ownedPartitions();
          const lost = [...(b.partitions ?? [])].filter((k) => !owned.has(k));
          if (lost.length > 0) {
            b.resolve!(null);
            const err = new Error(
              `the open transaction holds decisions of ${lost.length} partition(s) revoked since (${lost.map((k) => k.replace('\u0000', '-')).join(', ')}): aborted; restart from the checkpoint`,
            );
            await eos.abort(err);
            throw err;
          }
          const member = b.member ?? source.member();
          if (member === undefined && b.applied.length > 0) {
            b.resolve!(null);
            throw new Error('the consumer has not joined its group: the offsets cannot go into the transaction');
          }
          b.resolve!(member === undefined ? null : { member, offsets: b.applied });
          await b.cut;
          if (seq > committedSeq) committedSeq = seq;
          commits++;
        },
      })
      .finally(() => {
        // A checkpoint that failed before its commit: the cut commits nothing and the transaction stays open.
        barrier?.resolve?.(null);
        barrier = undefined;
      });
  };
  const checkpointTimer = checkpoints === undefined ? undefined : setInterval(() => void takeCheckpoint(), cfg.checkpointIntervalMs ?? 10_000);
  checkpointTimer?.unref();

  let restarting: Promise<void> | undefined;
  function onSourceError(err: Error): void {
    lastError = `source: ${err.message}`;
    if (eos !== undefined) {
      // The open transaction's decisions cannot be matched to a new member's offsets: restart from the checkpoint.
      failFatally(err);
      return;
    }
    if (closed || restarting !== undefined) return;
    restarting = (async () => {
      const old = source;
      // Everything the failed source wrote must be decided (its decision ids come from its tables) before it goes.
      await engine.drain();
      while (ackedSeq < lastEnd() && !closed) await new Promise((r) => setTimeout(r, 50));
      await commit();
      const s = old.stats();
      retired.transactions += s.generated;
      retired.labels += s.labelsEmitted;
      retired.rejected += s.rejected;
      retired.deadLettered += s.deadLettered;
      retired.unknownLabels += s.unknownLabels;
      retired.redeliveredSkipped += s.redeliveredSkipped;
      retired.replays += s.replays;
      retired.replayed += s.replayed;
      retired.replayedLabels += s.replayedLabels;
      retired.rejoinsHeld += s.rejoinsHeld;
      retired.holdTimeouts += s.holdTimeouts;
      retired.revokedDropped += s.revokedDropped;
      await old.close().catch(() => undefined);
      // Sequence numbers go on in the ring; the new source's position log starts empty, so nothing below is owed.
      committedSeq = ackedSeq;
      let delay = 500;
      // What this process has applied: the replacement skips it when the group delivers it again (it was decided
      // and acknowledged above), so no transaction or label updates the state twice.
      const applied = old.applied();
      while (!closed) {
        source = newSource(applied);
        sourceRestarts++;
        try {
          if (userRunning && !outputPaused) await source.start();
          break;
        } catch (e) {
          lastError = `source restart: ${e instanceof Error ? e.message : String(e)}`;
          const s2 = source.stats();
          retired.transactions += s2.generated;
          retired.labels += s2.labelsEmitted;
          await source.close().catch(() => undefined);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 4000);
        }
      }
    })().finally(() => {
      restarting = undefined;
    });
  }

  const kafkaStats = (): KafkaStats => {
    const s = source.stats();
    const o = output.stats();
    return {
      brokers: cfg.brokers,
      group: cfg.group,
      topic: cfg.topic,
      partitions: s.partitions,
      lag: s.lag,
      produced: o.produced,
      alerts: o.alerts,
      unacknowledged: unacked,
      ackedSeq,
      committedSeq,
      commits,
      sendRetries,
      commitFailures,
      sourceRestarts,
      rebalances,
      drains: {
        ...drains,
        rejoinsHeld: retired.rejoinsHeld + s.rejoinsHeld,
        holdTimeouts: retired.holdTimeouts + s.holdTimeouts,
        droppedRevoked: retired.revokedDropped + s.revokedDropped,
      },
      redeliveredSkipped: retired.redeliveredSkipped + s.redeliveredSkipped,
      replays: retired.replays + s.replays,
      replayed: retired.replayed + s.replayed,
      replayedLabels: retired.replayedLabels + s.replayedLabels,
      rejected: retired.rejected + s.rejected,
      deadLettered: retired.deadLettered + s.deadLettered,
      unknownLabels: retired.unknownLabels + s.unknownLabels,
      outputPaused,
      ...(checkpoints === undefined ? {} : { checkpoints: checkpoints.stats() }),
      ...(eos === undefined ? {} : { transactions: transactionStats(eos) }),
      ...(table === undefined ? {} : { terminalTable: table.stats() }),
      ...(lastError === undefined ? {} : { lastError }),
    };
  };

  let closing: Promise<void> | undefined;
  const notGenerator = (): never => {
    throw new TypeError('the source is kafka, not the generator');
  };
  const system: KafkaSystem = {
    engine,
    kafkaStats,
    sourceStats: () => source.stats(),
    stats(): Stats {
      const engineStats = engine.stats();
      const violations = checkLaws(engineStats);
      const s = source.stats();
      return {
        running: s.state === 'running',
        uptimeS: Math.round((performance.now() - createdMs) / 100) / 10,
        source: {
          kind: 'kafka',
          targetTps: 0,
          state: s.state,
          ...(s.error === undefined ? {} : { error: s.error.message }),
          heldBackMs: 0,
          schedule: { lagMs: 0, maxLagMs: 0, shed: 0 },
        },
        ...engineStats,
        laws: { ok: violations.length === 0, violations },
        rules: engine.ruleStats(),
        kafka: kafkaStats(),
      };
    },
    async start(): Promise<void> {
      if (closing !== undefined) throw new Error('the system is closed');
      if (fatal !== undefined) throw fatal;
      userRunning = true;
      // Fences a previous holder of the transactional id and aborts what it left open, before anything is decided.
      await eos?.begin();
      tableStarted ??= table?.start();
      await tableStarted;
      if (!outputPaused && restarting === undefined) await source.start();
    },
    async stop(): Promise<void> {
      userRunning = false;
      source.stop();
      await engine.drain();
    },
    setGenerator: notGenerator,
    injectScenario: notGenerator,
    setThresholds(thresholds: { review: number; decline: number }): void {
      engine.setThresholds({ review: thresholds.review, decline: thresholds.decline });
    },
    setRules: (rules: string) => engine.setRules(rules),
    swapBundle: (bundle: string) => engine.swapBundle(bundle),
    liveConfig: () => engine.liveConfig(),
    ruleStats: () => engine.ruleStats(),
    drainEvents(maxFeed: number, maxAlerts: number) {
      return engine.drainEvents(maxFeed, maxAlerts);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        userRunning = false;
        source.stop();
        await restarting?.catch(() => undefined);
        await engine.drain();
        // Wait (bounded) for the last acknowledgements so their offsets are committed before leaving the group.
        const deadline = Date.now() + 10_000;
        while (ackedSeq < lastEnd() && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        // A last checkpoint covering everything decided, so the commit below can go to the end.
        if (checkpointTimer !== undefined) clearInterval(checkpointTimer);
        await takeCheckpoint();
        await takeCheckpoint();
        await commit();
        closed = true;
        clearInterval(commitTimer);
        await source.close();
        await output.close().catch(() => undefined);
        await table?.close();
        await engine.close();
      })();
      return closing;
    },
  };
  if (cfg.autoStart) await system.start();
  return system;
}

/** One key per input partition: topic, NUL, partition. */
function partitionKey(p: { topic: string; partition: number }): string {
  return `${p.topic}\u0000${p.partition}`;
}

/** The transaction counters of the exactly-once output. */
function transactionStats(eos: TransactionalDecisionSink): NonNullable<KafkaStats['transactions']> {
  const t = eos.stats();
  return { transactionalId: eos.transactionalId, committed: t.committed, aborted: t.aborted, ...(t.error === undefined ? {} : { error: t.error }) };
}

/** The transactional id kept in `dir/transactional-id` (created on first use): the same across restarts on one dir. */
async function transactionalIdOf(dir: string, group: string): Promise<string> {
  const file = join(dir, 'transactional-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (id.length === 0 || id.length > 249) throw new TypeError(`${file} must hold a transactional id of 1 to 249 characters`);
    return id;
  }
  const id = `${group}.${randomUUID()}`;
  await writeFileAtomic(dir, 'transactional-id', Buffer.from(`${id}\n`));
  return id;
}
