import { Producer } from '@platformatic/kafka';
import { hashKey, validateTransaction, type Transaction } from '@fraudstream/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaSource, produceFeed, SimulatedFeed, type JsonMessage } from '../src/index.js';
import { broker, freshTopics, kcatRead, waitFor } from './helpers/kafka.js';
import { TestRingSink, type RingRecord } from './helpers/ring-sink.js';

let brokers = '';
const open: KafkaSource[] = [];

beforeEach(async () => {
  brokers = await broker();
}, 300_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function source(options: ConstructorParameters<typeof KafkaSource>[0]): KafkaSource {
  const s = new KafkaSource({ sessionTimeoutMs: 6000, lagIntervalMs: 200, ...options });
  open.push(s);
  return s;
}

/** Produces raw messages (key, value) to a topic, in order, to one partition when `partition` is given. */
async function produceRaw(topic: string, messages: { key: string; value: string; partition?: number }[]): Promise<void> {
  const producer = new Producer({ clientId: 'test-raw', bootstrapBrokers: [brokers], idempotent: true });
  try {
    await producer.send({
      messages: messages.map((m) => ({ topic, key: Buffer.from(m.key), value: Buffer.from(m.value), ...(m.partition === undefined ? {} : { partition: m.partition }) })),
    });
  } finally {
    await producer.close();
  }
}

/** `n` simulated transactions as JSON messages, and the parsed transactions by id. */
async function simulated(n: number, seed: number): Promise<{ messages: JsonMessage[]; byId: Map<string, Transaction> }> {
  const feed = new SimulatedFeed({ seed, customers: 300, terminals: 600, labels: false });
  const messages: JsonMessage[] = [];
  while (messages.length < n) await feed.next(n - messages.length, messages, []);
  const byId = new Map<string, Transaction>();
  for (const m of messages) {
    const r = validateTransaction(JSON.parse(m.value));
    if (!r.ok) throw new Error(`fixture: ${r.error.message}`);
    byId.set(r.value.id, r.value);
  }
  return { messages, byId };
}

/** Checks that a ring record is exactly the transaction it came from (id, time, amount, card and terminal keys). */
function expectRecordOf(rec: RingRecord, tx: Transaction): void {
  expect(rec.label).toBe(false);
  expect(rec.txNum).toBe(Number(tx.id));
  expect(rec.timestampMs).toBe(tx.timestampMs);
  expect(rec.amount).toBe(tx.amount);
  expect(rec.cardKey).toBe(hashKey(tx.cardId));
  expect(rec.terminalKey).toBe(hashKey(tx.terminalId));
  expect(rec.mcc).toBe(tx.mcc ?? 0);
}

describe('KafkaSource against a real broker', () => {
  it('writes every valid message into a real ring and sends poison messages to the DLQ with the reason and the field', async () => {
    const [topic, labels, dlq] = await freshTopics(brokers, 3, 'tx', 'labels', 'dlq');
    const { messages, byId } = await simulated(3000, 11);
    // Two poison messages in the middle of partition 0's stream: malformed JSON, and a transaction without amount.
    const poison = [
      { key: 'card-x', value: '{"id": "p1", "cardId":', partition: 0 },
      { key: 'card-y', value: JSON.stringify({ id: 'p2', cardId: 'card-y', terminalId: 't', timestamp: 1 }), partition: 0 },
    ];
    await produceRaw(topic!, messages.slice(0, 1500));
    await produceRaw(topic!, poison);
    await produceRaw(topic!, messages.slice(1500));

    const sink = new TestRingSink(8192);
    const src = source({ sink, brokers, topic, labelsTopic: labels, deadLetterTopic: dlq, group: `g-${topic}` });
    await src.start();
    const got: RingRecord[] = [];
    await waitFor(
      () => {
        got.push(...sink.drain());
        return got.length >= 3000 && src.stats().deadLettered === 2;
      },
      () => `3000 records and 2 dead letters (have ${got.length}, ${JSON.stringify(src.stats())})`,
    );
    expect(got).toHaveLength(3000);
    const seen = new Set<string>();
    for (const rec of got) {
      const tx = byId.get(String(rec.txNum));
      expect(tx, `record txNum ${rec.txNum} was produced`).toBeDefined();
      expectRecordOf(rec, tx!);
      seen.add(String(rec.txNum));
    }
    expect(seen.size).toBe(3000);
    const stats = src.stats();
    expect(stats).toMatchObject({ state: 'running', generated: 3000, rejected: 2, deadLettered: 2, consumed: 3002 });
    expect(stats.rejectedByField).toEqual({ $: 1, amount: 1 });
    expect(sink.rejects.map((e) => e.field).sort()).toEqual(['$', 'amount']);
    // Lag per partition: every partition of the topic (and of the labels topic) is assigned and read to its end.
    await waitFor(() => src.stats().partitions.filter((p) => p.topic === topic).every((p) => p.endOffset === p.position), 'lag 0');
    expect(src.stats().partitions.filter((p) => p.topic === topic)).toHaveLength(3);
    expect(src.stats().lag).toBe(0);

    // The dead-letter topic, read back by kcat: the original message, the reason and the field.
    const dead = kcatRead(brokers, dlq!)
      .map((m): Record<string, unknown> => ({ key: m.key, ...(JSON.parse(m.value) as Record<string, unknown>) }))
      .sort((x, y) => Number(x['offset']) - Number(y['offset']));
    expect(dead).toHaveLength(2);
    expect(dead[0]).toMatchObject({ key: 'card-x', field: '$', code: 'malformed', topic, partition: 0, value: poison[0]!.value });
    expect(dead[1]).toMatchObject({ key: 'card-y', field: 'amount', code: 'missing', reason: 'amount is required', topic, partition: 0 });
    expect(Number(dead[1]!['offset'])).toBe(Number(dead[0]!['offset']) + 1);
  });

  it('turns labels into label records with the labelled transaction keys, and counts labels for unknown ids', async () => {
    const [topic, labels, dlq] = await freshTopics(brokers, 1, 'tx', 'labels', 'dlq');
    const { messages, byId } = await simulated(200, 12);
    await produceRaw(topic!, messages);
    const sink = new TestRingSink(1024);
    const src = source({ sink, brokers, topic, labelsTopic: labels, deadLetterTopic: dlq, group: `g-${topic}` });
    await src.start();
    const got: RingRecord[] = [];
    await waitFor(() => (got.push(...sink.drain()), got.length >= 200), 'the transactions');
    const seqOf = new Map(got.map((r) => [String(r.txNum), r.seq]));
    const ids = [...byId.keys()];
    await produceRaw(labels!, [
      { key: ids[5]!, value: JSON.stringify({ id: ids[5], fraud: true }) },
      { key: ids[7]!, value: JSON.stringify({ id: ids[7], fraud: false }) },
      { key: 'never-seen', value: JSON.stringify({ id: 'never-seen', fraud: true }) },
      { key: ids[9]!, value: JSON.stringify({ id: ids[9] }) }, // no fraud field: dead letter
    ]);
    const labelRecords: RingRecord[] = [];
    await waitFor(
      () => (labelRecords.push(...sink.drain()), labelRecords.length >= 2 && src.stats().unknownLabels === 1 && src.stats().deadLettered === 1),
      () => `2 label records, 1 unknown, 1 dead letter (${JSON.stringify(src.stats())})`,
    );
    expect(labelRecords).toHaveLength(2);
    for (const [rec, id, fraud] of [
      [labelRecords[0]!, ids[5]!, true],
      [labelRecords[1]!, ids[7]!, false],
    ] as const) {
      const tx = byId.get(id)!;
      expect(rec).toMatchObject({ label: true, fraud, timestampMs: tx.timestampMs, cardKey: hashKey(tx.cardId), terminalKey: hashKey(tx.terminalId) });
      expect(rec.txNum).toBe(seqOf.get(id)); // a label record carries the labelled transaction's ingest sequence number
    }
    expect(src.stats()).toMatchObject({ labelsEmitted: 2, unknownLabels: 1, rejectedByField: { fraud: 1 } });
  });

  it('pauses consumption while the ring is full and resumes as it drains, losing and duplicating nothing', async () => {
    const [topic, dlq] = await freshTopics(brokers, 2, 'tx', 'dlq');
    const { messages, byId } = await simulated(6000, 13);
    await produceRaw(topic!, messages);
    const sink = new TestRingSink(256);
    const src = source({ sink, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group: `g-${topic}`, maxStaged: 64 });
    await src.start();
    // Nothing drains the ring: it fills, the stage fills, consumption pauses.
    await waitFor(() => src.stats().paused && sink.depth() === 256, () => `a full ring and a paused consumer (${JSON.stringify(src.stats())})`);
    const paused = src.stats();
    expect(paused.pauses).toBe(1);
    expect(paused.generated).toBe(256);
    expect(paused.backpressureWaits).toBeGreaterThan(0);
    // While paused the consumer holds at most the stage and the client's own buffer (1024 messages), far below 6000.
    await new Promise((r) => setTimeout(r, 500));
    expect(src.stats().consumed).toBeLessThan(256 + 64 + 1024 + 1000);
    expect(src.stats().generated).toBe(256);

    // Drain slowly: the source resumes, pauses again, and in the end everything arrives exactly once.
    const got: RingRecord[] = [];
    await waitFor(() => {
      got.push(...sink.drain(100));
      return got.length >= 6000;
    }, () => `6000 records (have ${got.length}, ${JSON.stringify(src.stats())})`);
    const ids = got.map((r) => String(r.txNum));
    expect(new Set(ids).size).toBe(6000);
    for (const rec of got) expectRecordOf(rec, byId.get(String(rec.txNum))!);
    const s = src.stats();
    expect(s.resumes).toBeGreaterThanOrEqual(1);
    expect(s.pauses).toBeGreaterThanOrEqual(s.resumes);
    expect(s).toMatchObject({ generated: 6000, consumed: 6000, rejected: 0 });
    // Per card, the order of the input is kept (a card's messages share a partition).
    const order = new Map<string, number>();
    messages.forEach((m, i) => order.set((JSON.parse(m.value) as { id: string }).id, i));
    const lastByCard = new Map<bigint, number>();
    for (const rec of got) {
      const i = order.get(String(rec.txNum))!;
      expect(i).toBeGreaterThan(lastByCard.get(rec.cardKey) ?? -1);
      lastByCard.set(rec.cardKey, i);
    }
  });

  it('commits only what the caller says is durable: a new member of the group reads the rest again', async () => {
    const [topic, dlq] = await freshTopics(brokers, 2, 'tx', 'dlq');
    const { messages } = await simulated(1000, 14);
    await produceRaw(topic!, messages);
    const group = `g-${topic}`;
    const sinkA = new TestRingSink(2048);
    const a = source({ sink: sinkA, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group });
    await a.start();
    const first: RingRecord[] = [];
    await waitFor(() => (first.push(...sinkA.drain()), first.length >= 1000), 'the first read');
    // Only records below sequence 600 are "durable": commit what maps to them, then leave the group.
    const committed = await a.commitReleased(600);
    expect(committed.length).toBeGreaterThan(0);
    const committedCount = committed.reduce((s, c) => s + c.offset, 0);
    expect(committedCount).toBeLessThanOrEqual(600);
    expect(committedCount).toBeGreaterThan(0);
    await a.close();

    const sinkB = new TestRingSink(2048);
    const b = source({ sink: sinkB, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group });
    await b.start();
    const second: RingRecord[] = [];
    await waitFor(() => (second.push(...sinkB.drain()), second.length >= 1000 - committedCount), 'the second read');
    await new Promise((r) => setTimeout(r, 300));
    second.push(...sinkB.drain());
    expect(second).toHaveLength(1000 - committedCount);
    // Nothing below a committed offset is read again, everything above it is.
    const all = new Set([...first.slice(0, 0), ...second].map((r) => r.txNum));
    expect(all.size).toBe(second.length);
    const union = new Set([...first.filter((r) => r.seq < 600).map((r) => r.txNum), ...second.map((r) => r.txNum)]);
    expect(union.size).toBe(1000);

    // An explicit commit of partition 0's end: a third member reads only partition 1 (never committed by b) again.
    await waitFor(() => (b.stats().partitions.find((p) => p.partition === 0)?.endOffset ?? -1) > 0, 'the end offsets');
    const end = b.stats().partitions.find((p) => p.partition === 0)!.endOffset;
    await b.commitUpTo(0, end);
    expect(b.stats().partitions.find((p) => p.partition === 0)!.committed).toBe(end);
    await expect(b.commitUpTo(0, -1)).rejects.toThrow(/nextOffset/);
    await b.close();
    const sinkC = new TestRingSink(2048);
    const c = source({ sink: sinkC, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group });
    await c.start();
    const third: RingRecord[] = [];
    const fromP1 = second.filter((r) => b.positionAt(r.slot)?.partition === 1).length;
    expect(fromP1).toBeGreaterThan(0);
    await waitFor(() => (third.push(...sinkC.drain()), third.length >= fromP1), 'the third read');
    await new Promise((r) => setTimeout(r, 300));
    third.push(...sinkC.drain());
    expect(third).toHaveLength(fromP1);
    expect(third.every((r) => c.positionAt(r.slot)?.partition === 1)).toBe(true);
    // Lag of the partition c never read from starts at the group's committed offset (its end): 0, not its length.
    await waitFor(() => (c.stats().partitions.find((p) => p.partition === 0)?.endOffset ?? -1) === end, 'c sees the end offsets');
    await new Promise((r) => setTimeout(r, 500));
    expect(c.stats().partitions.find((p) => p.partition === 0)).toMatchObject({ position: -1, endOffset: end, lag: 0 });
    expect(c.stats().lag).toBe(0);
  });

  it('skipBelow: a replacement source skips what its predecessor applied, and still commits past it', async () => {
    const [topic, dlq] = await freshTopics(brokers, 2, 'tx', 'dlq');
    const { messages } = await simulated(800, 21);
    await produceRaw(topic!, messages);
    const group = `g-${topic}`;
    const sinkA = new TestRingSink(2048);
    const a = source({ sink: sinkA, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group });
    await a.start();
    const first: RingRecord[] = [];
    await waitFor(() => (first.push(...sinkA.drain()), first.length >= 800), 'the first read');
    const applied = a.applied();
    expect(applied.reduce((n, x) => n + x.offset, 0)).toBe(800);
    // Nothing committed: the group delivers all 800 again to the next member.
    await a.close();

    const sinkB = new TestRingSink(2048);
    const b = source({ sink: sinkB, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group, skipBelow: applied });
    await b.start();
    await waitFor(() => b.stats().redeliveredSkipped === 800, () => `the redelivery skipped (${b.stats().redeliveredSkipped})`);
    expect(sinkB.drain()).toHaveLength(0);
    expect(b.stats().generated).toBe(0);
    // The skipped messages are covered by the position log: committing what is released commits past them.
    const committed = await b.commitReleased(sinkB.released);
    expect(committed.reduce((n, c) => n + c.offset, 0)).toBe(800);
    await b.close();
    expect(() => source({ sink: sinkB, brokers, topic, skipBelow: [{ topic: topic!, partition: 0, offset: -1 }] })).toThrow(/options\.skipBelow\[0\]/);
  });

  it('hand-over by replay: a partition that arrives with messages applied elsewhere is replayed below the committed offset first, as replay records', async () => {
    const [topic, dlq] = await freshTopics(brokers, 2, 'tx', 'dlq');
    const { messages } = await simulated(800, 23);
    await produceRaw(topic!, messages.map((m, i) => ({ ...m, partition: i % 2 })));
    const group = `g-${topic}`;
    const a = source({ sink: new TestRingSink(2048), brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group });
    await a.start();
    await waitFor(() => a.stats().generated === 800, 'the first read');
    // Another process decided partition 0 up to offset 150 (committed) and left; partition 1 was never committed.
    await a.commitUpTo(0, 150);
    await a.close();

    // 'none' first: it commits nothing, so the group still starts partition 0 at 150 for 'replay'.
    for (const handover of ['none', 'replay'] as const) {
      const sink = new TestRingSink(2048);
      const b = source({ sink, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group, handover });
      await b.start();
      const got: RingRecord[] = [];
      await waitFor(() => (got.push(...sink.drain()), b.stats().generated === (handover === 'replay' ? 800 : 650)), () => `the read (${handover})`);
      got.push(...sink.drain());
      const p0 = got.filter((r) => b.positionAt(r.slot)?.partition === 0);
      const replayed = p0.filter((r) => b.isReplayAt(r.slot));
      if (handover === 'replay') {
        // Offsets 0-149 of partition 0 come back as replay records, in order, before any live record of it.
        expect(replayed.map((r) => b.positionAt(r.slot)!.offset)).toEqual([...Array(150).keys()]);
        expect(p0.slice(0, 150).every((r) => b.isReplayAt(r.slot))).toBe(true);
        expect(b.stats()).toMatchObject({ replays: 1, replayed: 150, replaying: false });
      } else {
        expect(replayed).toHaveLength(0);
        expect(b.stats().replays).toBe(0);
      }
      // Live records: partition 0 from the committed offset, partition 1 (nothing committed, no gap) from 0.
      expect(p0.filter((r) => !b.isReplayAt(r.slot)).map((r) => b.positionAt(r.slot)!.offset)[0]).toBe(150);
      expect(got.filter((r) => b.positionAt(r.slot)?.partition === 1 && b.isReplayAt(r.slot))).toHaveLength(0);
      if (handover === 'replay') {
        // Replay records are never committed: what is released commits each partition up to its live records' end.
        const committed = await b.commitReleased(sink.released);
        expect(committed.map((c) => [c.partition, c.offset]).sort()).toEqual([[0, 400], [1, 400]]);
      }
      await b.close();
    }
    expect(() => source({ sink: new TestRingSink(16), brokers, topic, handover: 'copy' as never })).toThrow(/options\.handover/);
  });

  it('hand-over by replay replays the labels partition too: below its committed offset, merged with the transactions by time, each label once', async () => {
    const [topic, labels, dlq] = await freshTopics(brokers, 2, 'tx', 'labels', 'dlq');
    const { messages, byId } = await simulated(400, 29);
    // Every transaction's label, to its transaction's partition, in the same order; fraud for every third. Two rounds:
    // transactions 0-199 then their labels, transactions 200-399 then theirs (later Kafka timestamps each time).
    const labelOf = (i: number): boolean => i % 3 === 0;
    const txIds = messages.map((m) => (JSON.parse(m.value) as { id: string }).id);
    for (const [lo, hi] of [[0, 200], [200, 400]] as const) {
      await produceRaw(topic!, messages.slice(lo, hi).map((m, j) => ({ ...m, partition: (lo + j) % 2 })));
      await produceRaw(labels!, txIds.slice(lo, hi).map((id, j) => ({ key: 'k', value: JSON.stringify({ id, fraud: labelOf(lo + j) }), partition: (lo + j) % 2 })));
    }
    const group = `g-${topic}`;
    const a = source({ sink: new TestRingSink(2048), brokers, topic, labelsTopic: labels, deadLetterTopic: dlq, group });
    await a.start();
    await waitFor(() => a.stats().generated === 400 && a.stats().labelsEmitted === 400, 'the first read');
    // Another process decided partition 0 up to offset 150 and applied its labels up to offset 120, and left.
    await a.commitUpTo(0, 150);
    await a.commitUpTo(0, 120, labels);
    await a.close();

    const read = async (faults: string | undefined): Promise<{ b: KafkaSource; got: RingRecord[] }> => {
      if (faults === undefined) delete process.env['FRAUDSTREAM_TEST_FAULTS'];
      else process.env['FRAUDSTREAM_TEST_FAULTS'] = faults;
      const sink = new TestRingSink(2048);
      const b = source({ sink, brokers, topic, labelsTopic: labels, deadLetterTopic: dlq, group });
      delete process.env['FRAUDSTREAM_TEST_FAULTS'];
      await b.start();
      const got: RingRecord[] = [];
      await waitFor(() => (got.push(...sink.drain()), b.stats().generated === 400 && b.stats().labelsEmitted >= 280), () => `the read (${JSON.stringify(b.stats())})`);
      await new Promise((r) => setTimeout(r, 300));
      got.push(...sink.drain());
      return { b, got };
    };

    const { b, got } = await read(undefined);
    const p0 = got.filter((r) => b.positionAt(r.slot)?.partition === 0);
    const replay = p0.filter((r) => b.isReplayAt(r.slot));
    // Partition 0 in time order: transactions 0-99, their labels 0-99, transactions 100-149, labels 100-119 (each
    // with its transaction's keys); then the live records.
    const run = (label: boolean, lo: number, hi: number): [boolean, number][] => [...Array(hi - lo).keys()].map((o) => [label, lo + o]);
    expect(replay.map((r) => [r.label, b.positionAt(r.slot)!.offset])).toEqual([...run(false, 0, 100), ...run(true, 0, 100), ...run(false, 100, 150), ...run(true, 100, 120)]);
    expect(p0.slice(0, 270).every((r) => b.isReplayAt(r.slot))).toBe(true);
    for (const r of replay.filter((x) => x.label)) {
      const i = 2 * b.positionAt(r.slot)!.offset;
      const tx = byId.get(txIds[i]!)!;
      expect(r).toMatchObject({ fraud: labelOf(i), timestampMs: tx.timestampMs, cardKey: hashKey(tx.cardId), terminalKey: hashKey(tx.terminalId) });
    }
    // Live labels of partition 0 start at its committed offset: none is written twice.
    const liveLabels0 = p0.filter((r) => r.label && !b.isReplayAt(r.slot)).map((r) => b.positionAt(r.slot)!.offset);
    expect(liveLabels0).toEqual([...Array(80).keys()].map((o) => o + 120));
    expect(b.stats()).toMatchObject({ replays: 1, replayed: 150, replayedLabels: 120, labelsEmitted: 400, unknownLabels: 0, replaying: false });
    await b.close();

    // The test fault: the transactions only, as before (the 120 labels never reach the new owner).
    const f = await read(JSON.stringify({ skipLabelReplay: true }));
    expect(f.b.stats()).toMatchObject({ replays: 1, replayed: 150, replayedLabels: 0, labelsEmitted: 280 });
    expect(f.got.filter((r) => r.label && f.b.isReplayAt(r.slot))).toHaveLength(0);
    await f.b.close();
  });

  it('stop() pauses (nothing more enters the ring) and start() resumes where it stopped', async () => {
    const [topic, dlq] = await freshTopics(brokers, 2, 'tx', 'dlq');
    const { messages } = await simulated(800, 15);
    await produceRaw(topic!, messages.slice(0, 500));
    const sink = new TestRingSink(2048);
    const src = source({ sink, brokers, topic, labelsTopic: null, deadLetterTopic: dlq, group: `g-${topic}` });
    await src.start();
    const got: RingRecord[] = [];
    await waitFor(() => (got.push(...sink.drain()), got.length >= 500), 'the first 500');
    src.stop();
    expect(src.running).toBe(false);
    expect(src.stats().state).toBe('stopped');
    await produceRaw(topic!, messages.slice(500));
    await new Promise((r) => setTimeout(r, 1500));
    got.push(...sink.drain());
    expect(got).toHaveLength(500);
    await src.start();
    expect(src.running).toBe(true);
    await waitFor(() => (got.push(...sink.drain()), got.length >= 800), 'the other 300');
    expect(new Set(got.map((r) => r.txNum)).size).toBe(800);
  });

  it("a client error (a rejoin that failed after its retries) fails the source visibly instead of ending the process", async () => {
    const [topic] = await freshTopics(brokers, 1, 'tx');
    const sink = new TestRingSink(64);
    const errors: Error[] = [];
    const src = source({ sink, brokers, topic, labelsTopic: null, group: `g-${topic}`, onError: (e) => errors.push(e) });
    await src.start();
    // The fault: what @platformatic/kafka emits on the consumer when its rejoin gave up ('error' on the client).
    const consumer = (src as unknown as { consumer: { emit(event: string, err: Error): boolean } }).consumer;
    consumer.emit('error', new Error('test fault: rejoinGroup failed'));
    expect(src.stats().state).toBe('failed');
    expect(src.stats().error?.message).toBe('test fault: rejoinGroup failed');
    expect(errors.map((e) => e.message)).toEqual(['test fault: rejoinGroup failed']);
  });

  it('rejects bad options with errors naming the option', () => {
    const sink = new TestRingSink(16);
    expect(() => new KafkaSource({ sink, brokers: 'nohost' })).toThrow(/options\.brokers/);
    expect(() => new KafkaSource({ sink, brokers, topic: 'bad topic' })).toThrow(/options\.topic/);
    expect(() => new KafkaSource({ sink, brokers, maxStaged: 1 })).toThrow(/options\.maxStaged/);
    expect(() => new KafkaSource({ sink: {} as never, brokers })).toThrow(/options\.sink/);
    expect(() => new KafkaSource({ sink, brokers, topic: 'x', labelsTopic: 'x' })).toThrow(/labelsTopic/);
  });

  it('fails visibly when the topic does not exist', async () => {
    const sink = new TestRingSink(16);
    const src = source({ sink, brokers, topic: 'test-missing-topic-never-created', labelsTopic: null, group: 'g-missing' });
    await expect(src.start()).rejects.toThrow();
    expect(src.stats().state).toBe('failed');
    expect(src.stats().error).toBeInstanceOf(Error);
  });
});

describe('produceFeed (what fraudstream produce runs)', () => {
  it('sends transactions keyed by card id and their labels, read back by kcat', async () => {
    const [topic, labels] = await freshTopics(brokers, 3, 'tx', 'labels');
    const r = await produceFeed({
      brokers,
      topic: topic!,
      labelsTopic: labels!,
      feed: new SimulatedFeed({ seed: 5, customers: 100, terminals: 200, labelDelayDays: 0.5 }),
      tps: 'max',
      count: 1200,
      batch: 100,
    });
    expect(r).toMatchObject({ transactions: 1200, labels: 1200 });
    const txs = kcatRead(brokers, topic!);
    expect(txs).toHaveLength(1200);
    const ids = new Set<string>();
    for (const m of txs) {
      const v = validateTransaction(JSON.parse(m.value));
      expect(v.ok).toBe(true);
      if (v.ok) {
        expect(m.key).toBe(v.value.cardId);
        ids.add(v.value.id);
      }
    }
    expect(ids.size).toBe(1200);
    const ls = kcatRead(brokers, labels!).map((m) => JSON.parse(m.value) as { id: string; fraud: boolean });
    expect(ls).toHaveLength(1200);
    expect(new Set(ls.map((l) => l.id))).toEqual(ids);
  });
});
