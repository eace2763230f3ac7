import { spawn, spawnSync } from 'node:child_process';
import { ensureTopics, KAFKA_SCRIPT } from '@fraudstream/kafka';
import { describe, expect, it } from 'vitest';
import {
  alive,
  kcatProduce,
  kcatRead,
  MAIN,
  PARTITIONS,
  readDecisions,
  startInstance,
  stats,
  transactions,
  produceTxs,
  unique,
  waitDecided,
  waitUntil,
  type GenTx,
  type Instance,
  type ReadDecision,
  kafkaTestBed,
} from './kafka-helpers.js';

// `fraudstream start --source kafka` as real processes against the real broker of scripts/kafka.sh (started here when
// nothing listens; a failure to start fails the tests), the decisions read back by Debian's kcat.
const kafka = kafkaTestBed();
const running = kafka.running;

/** Topics of one scenario: transactions and labels co-partitioned, decisions, alerts, dead letters. */
async function scenarioTopics(prefix: string): Promise<{ tx: string; labels: string; dlq: string; args: (decisions: string) => string[] }> {
  const tx = unique(`${prefix}-tx`);
  const labels = unique(`${prefix}-labels`);
  const dlq = unique(`${prefix}-dlq`);
  await ensureTopics(kafka.brokers, [
    { name: tx, partitions: PARTITIONS },
    { name: labels, partitions: PARTITIONS },
    { name: dlq, partitions: 1 },
  ]);
  return {
    tx,
    labels,
    dlq,
    args: (decisions) => ['--brokers', kafka.brokers, '--topic', tx, '--labels-topic', labels, '--dlq-topic', dlq, '--decisions-topic', decisions, '--alerts-topic', `${decisions}-alerts`],
  };
}

async function decisionTopics(...names: string[]): Promise<void> {
  await ensureTopics(kafka.brokers, names.flatMap((n) => [{ name: n, partitions: PARTITIONS }, { name: `${n}-alerts`, partitions: 1 }]));
}

function produceTransactions(topic: string, txs: GenTx[], poison: string[] = []): void {
  produceTxs(kafka.brokers, topic, txs, poison);
}

/** Produces the labels of `txs` keyed by card id, each to its transaction's partition number. */
function produceLabels(topic: string, txs: GenTx[]): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const lines = txs.filter((t) => t.partition === p).map((t) => `card-${t.card}\t${JSON.stringify({ id: t.id, fraud: t.fraud })}`);
    kcatProduce(kafka.brokers, topic, lines, p);
  }
}

function decidedAll(instances: Instance[], topic: string, ids: string[]): Promise<Map<string, ReadDecision>> {
  return waitDecided(kafka.brokers, instances, topic, ids);
}

/**
 * One instance (group 1) and two instances (group 2) read the same input at the same time, in two phases: days 0-9,
 * then those days' labels (all applied before going on), then days 10-19. Every decision of phase 2 thus sees the
 * same labels in both groups, whatever the timing, and the two groups' decisions can be compared exactly.
 */
async function compare(localTerminals: boolean, poison: string[], terminalTable = false): Promise<{ total: number; differScore: number; differDecision: number; differScoreAfterLabels: number; dlq: string }> {
  const t = await scenarioTopics(localTerminals ? 'eq' : 'shared');
  const [one, two] = [unique('one'), unique('two')];
  await decisionTopics(one, two);
  const txs = transactions(4000, localTerminals);
  const first = txs.filter((x) => x.day < 10);
  const second = txs.filter((x) => x.day >= 10);
  const single = await startInstance([...t.args(one), '--group', unique('g1')]);
  running.push(single);
  const group = unique('g2');
  const table = unique('terminal-days');
  if (terminalTable) await ensureTopics(kafka.brokers, [{ name: table, partitions: 2 }]);
  const tableArgs = terminalTable ? ['--terminal-table', table, '--terminal-table-interval-ms', '200'] : [];
  const a = await startInstance([...t.args(two), '--group', group, ...tableArgs]);
  running.push(a);
  const b = await startInstance([...t.args(two), '--group', group, ...tableArgs]);
  running.push(b);

  produceTransactions(t.tx, first, poison);
  const ids1 = first.map((x) => x.id);
  await decidedAll([single], one, ids1);
  await decidedAll([a, b], two, ids1);
  produceLabels(t.labels, first);
  const applied = async (is: Instance[]): Promise<number> => (await Promise.all(is.map(stats))).reduce((n, s) => n + s.counts.labels.applied, 0);
  await waitUntil(async () => (await applied([single])) === first.length && (await applied([a, b])) === first.length, () => 'every label applied');
  // Labels are keyed by card like their transactions: each reached the instance that saw its transaction.
  const ss = await Promise.all([single, a, b].map(stats));
  expect(ss.map((s) => s.kafka.unknownLabels)).toEqual([0, 0, 0]);
  if (terminalTable) {
    // Both instances have published what they applied, read every instance's aggregates back and merged them.
    await waitUntil(async () => {
      const [sa, sb] = (await Promise.all([a, b].map(stats))).map((s) => s.kafka.terminalTable!);
      const published = sa!.published + sb!.published;
      return published > 0 && [sa!, sb!].every((x) => x.settled && x.received >= published);
    }, () => 'the terminal table settled');
  }
  produceTransactions(t.tx, second);
  const ids = txs.map((x) => x.id);
  const alone = await decidedAll([single], one, ids);
  const split = await decidedAll([a, b], two, ids);

  // Both instances of group 2 took part: each holds some of the transactions topic's partitions.
  const [sa, sb] = await Promise.all([stats(a), stats(b)]);
  const owned = [sa, sb].map((s) => s.kafka.partitions.filter((p) => p.topic === t.tx).length);
  expect(owned[0]! + owned[1]!).toBe(PARTITIONS);
  expect(owned.every((n) => n > 0)).toBe(true);
  expect([sa, sb].every((s) => s.laws.ok)).toBe(true);

  let differScore = 0;
  let differDecision = 0;
  let differScoreAfterLabels = 0;
  const later = new Set(second.map((x) => x.id));
  for (const id of ids) {
    const x = alone.get(id)!;
    const y = split.get(id)!;
    if (x.score !== y.score) differScore++;
    if (x.score !== y.score && later.has(id)) differScoreAfterLabels++;
    if (x.decision !== y.decision) differDecision++;
    expect(y.decisionId).toBe(x.decisionId);
    expect(y.key).toBe(x.key);
  }
  // Keys are card references (16 hex digits), never the card id; values never carry it either.
  const raw = kcatRead(kafka.brokers, two);
  expect(raw.every((m) => /^[0-9a-f]{16}$/.test(m.key) && !m.value.includes('card-'))).toBe(true);
  return { total: ids.length, differScore, differDecision, differScoreAfterLabels, dlq: t.dlq };
}

describe('fraudstream start --source kafka', () => {
  it('two instances in one group decide every transaction exactly as one instance does; labels reach their card; poison goes to the DLQ', async () => {
    const poison = ['{"id":"p1","cardId":"card-poison","terminalId":"t","amount":-5,"timestamp":"2018-04-02T00:00:00Z"}', 'not json at all'];
    const r = await compare(true, poison);
    console.log(`scale-out equivalence (partition-local terminals, labels): ${r.total} transactions, ${r.differScore} scores differ`);
    expect(r.differScore).toBe(0);
    const dead = kcatRead(kafka.brokers, r.dlq).map((m) => JSON.parse(m.value) as { reason: string; field: string; partition: number });
    // Each of the two groups dead-letters both poison messages once.
    expect(dead.filter((d) => d.field === 'amount')).toHaveLength(2);
    expect(dead.filter((d) => d.field === '$')).toHaveLength(2);
    expect(dead.every((d) => d.partition === 1 && d.reason.length > 0)).toBe(true);
  }, 120_000);

  it('with terminals shared across partitions: counts the decisions that differ from one instance, without and with the global terminal table (fewer with it)', async () => {
    const without = await compare(false, []);
    const withTable = await compare(false, [], true);
    console.log(
      `scale-out equivalence (shared terminals, 2 instances): without the terminal table ${without.differScore} scores and ` +
        `${without.differDecision} decisions differ of ${without.total} (${without.differScoreAfterLabels} scores of days 10-19); ` +
        `with it ${withTable.differScore} scores and ${withTable.differDecision} decisions (${withTable.differScoreAfterLabels} of days 10-19)`,
    );
    // Without the table terminal risk sees only each instance's labels: the difference exists and is counted.
    expect(without.differScore).toBeGreaterThan(0);
    expect(withTable.differScore).toBeLessThan(without.differScore);
    expect(withTable.differDecision).toBeLessThanOrEqual(without.differDecision);
  }, 240_000);

  it('SIGKILL of one of two instances mid-stream: the other takes over and every transaction gets a decision', async () => {
    const t = await scenarioTopics('kill');
    const out = unique('kill-out');
    await decisionTopics(out);
    const group = unique('g');
    const args = [...t.args(out), '--group', group, '--session-timeout-ms', '6000'];
    const a = await startInstance(args);
    running.push(a);
    const b = await startInstance(args);
    running.push(b);
    // The load generator paces 12,000 transactions at 2,000 tx/s (6 s) while the instances decide.
    const producer = spawn(process.execPath, [MAIN, 'produce', '--brokers', kafka.brokers, '--topic', t.tx, '--labels-topic', t.labels, '--count', '12000', '--tps', '2000', '--customers', '500', '--seed', '4'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let produced = '';
    producer.stdout.on('data', (d: Buffer) => (produced += d.toString()));
    producer.stderr.on('data', (d: Buffer) => (produced += d.toString()));
    const producerDone = new Promise<number | null>((r) => producer.on('exit', r));
    await waitUntil(async () => (await stats(a)).counts.decided > 1000, () => 'instance A deciding');
    a.child.kill('SIGKILL');
    await a.exited;
    expect(await producerDone, produced).toBe(0);
    const ids = kcatRead(kafka.brokers, t.tx).map((m) => (JSON.parse(m.value) as { id: string }).id);
    expect(ids).toHaveLength(12000);
    const got = await decidedAll([a, b], out, ids);
    const all = readDecisions(kafka.brokers, out);
    console.log(
      `SIGKILL: ${ids.length} transactions, ${all.length} decisions (${all.length - got.size} redelivered duplicates, same ids); ` +
        `survivor: ${(await stats(b)).kafka.rebalances} rebalances`,
    );
    expect(got.size).toBe(12000);
    const sb = await stats(b);
    expect(sb.kafka.partitions.filter((p) => p.topic === t.tx)).toHaveLength(PARTITIONS);
    // The take-over was a rebalance the survivor saw (and committed what was acknowledged at that moment).
    expect(sb.kafka.rebalances).toBeGreaterThan(0);
    // Labels are keyed by card like their transactions, so they reach the instance that saw the transaction.
    expect(sb.laws.ok).toBe(true);
  }, 120_000);

  it('stop and restart the broker mid-stream: both instances resume and nothing is lost', async () => {
    // A broker of its own (another port, another data dir): restarting the shared one would disturb the other tests.
    const port = Number(process.env['KAFKA_RESTART_TEST_PORT'] ?? 19192);
    const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1), KAFKA_HEAP: '512m' };
    const script = (cmd: string): void => {
      const r = spawnSync(KAFKA_SCRIPT, [cmd], { env, encoding: 'utf8', timeout: 180_000 });
      if (r.status !== 0) throw new Error(`scripts/kafka.sh ${cmd} failed (exit ${r.status}): ${r.stderr}`);
    };
    script('start');
    const own = `127.0.0.1:${port}`;
    try {
      const tx = unique('rs-tx');
      const out = unique('rs-out');
      await ensureTopics(own, [
        { name: tx, partitions: PARTITIONS },
        { name: out, partitions: PARTITIONS },
        { name: `${out}-alerts`, partitions: 1 },
      ]);
      const args = ['--brokers', own, '--topic', tx, '--no-labels', '--decisions-topic', out, '--alerts-topic', `${out}-alerts`, '--group', unique('g')];
      const a = await startInstance(args);
      running.push(a);
      const b = await startInstance(args);
      running.push(b);
      const txs = transactions(6000, true);
      const half = txs.slice(0, 3000);
      const saved = kafka.brokers;
      kafka.brokers = own;
      try {
        produceTransactions(tx, half);
        await decidedAll([a, b], out, half.map((x) => x.id));
        script('stop');
        await new Promise((r) => setTimeout(r, 2000));
        script('start');
        produceTransactions(tx, txs.slice(3000));
        const got = await decidedAll([a, b], out, txs.map((x) => x.id));
        expect(got.size).toBe(6000);
        expect(alive(a)).toBe(true);
        expect(alive(b)).toBe(true);
        const [sa, sb] = await Promise.all([stats(a), stats(b)]);
        console.log(
          `broker restart: 6000 transactions decided; source restarts ${sa.kafka.sourceRestarts}+${sb.kafka.sourceRestarts}, ` +
            `send retries ${sa.kafka.sendRetries}+${sb.kafka.sendRetries}, ${readDecisions(own, out).length} decisions on the topic`,
        );
        expect(sa.counts.decided + sb.counts.decided).toBeGreaterThanOrEqual(6000);
      } finally {
        kafka.brokers = saved;
      }
    } finally {
      // Stopped, not cleaned: the formatted storage (git-ignored kafka/run/PORT) makes the next run's start faster.
      script('stop');
    }
  }, 180_000);
});
