import { RecordViews, RECORD_SIZE, hashKey, validateTransaction } from '@fraudstream/schema';
import { describe, expect, it } from 'vitest';
import {
  brokerList,
  LabelFifo,
  LabelIndex,
  PositionLog,
  SimulatedFeed,
  topicName,
  transactionJson,
  type JsonMessage,
} from '../src/index.js';
import { compactQueue } from '../src/head-queue.js';

describe('option checks name the option', () => {
  it('broker lists', () => {
    expect(brokerList('127.0.0.1:9092', 'brokers')).toEqual(['127.0.0.1:9092']);
    expect(brokerList('a:1,b:2', 'brokers')).toEqual(['a:1', 'b:2']);
    expect(() => brokerList('127.0.0.1', 'options.brokers')).toThrow(/options\.brokers must be HOST:PORT/);
    expect(() => brokerList('h:70000', 'options.brokers')).toThrow(/port from 1 to 65535/);
    expect(() => brokerList([], 'options.brokers')).toThrow(TypeError);
  });

  it('topic names', () => {
    expect(topicName('fraud-labels', 't')).toBe('fraud-labels');
    expect(() => topicName('a b', 'options.topic')).toThrow(/options\.topic must be 1 to 249 characters/);
    expect(() => topicName('..', 'options.topic')).toThrow(RangeError);
    expect(() => topicName(3, 'options.topic')).toThrow(TypeError);
  });
});

describe('PositionLog', () => {
  it('returns, per partition, the highest offset whose records are all below the released sequence', () => {
    const log = new PositionLog(16);
    log.record(10, 0, 5); // records 0..9 published; partition 0 may commit 5 once they are durable
    log.record(10, 1, 7);
    log.record(20, 0, 9);
    expect([...log.advance(9)]).toEqual([]); // record 9 is not durable yet
    expect([...log.advance(10)]).toEqual([
      [0, 5],
      [1, 7],
    ]);
    expect([...log.advance(19)]).toEqual([]);
    expect([...log.advance(25)]).toEqual([[0, 9]]);
    expect(log.size).toBe(0);
  });

  it('drops the oldest entries when full, which delays but never advances a commit too far', () => {
    const log = new PositionLog(2);
    log.record(1, 0, 1);
    log.record(2, 0, 2);
    log.record(3, 0, 3);
    expect(log.dropped).toBe(1);
    expect([...log.advance(2)]).toEqual([[0, 2]]);
    expect([...log.advance(3)]).toEqual([[0, 3]]);
  });
});

describe('LabelIndex', () => {
  it('writes a label with the labelled transaction keys, time and sequence; unknown ids write nothing', () => {
    const views = new RecordViews(new ArrayBuffer(4 * RECORD_SIZE));
    const tx = validateTransaction({ id: 't1', cardId: 'card-a', terminalId: 'term-b', amount: 3, timestamp: 1000 });
    if (!tx.ok) throw new Error('fixture');
    views.writeTransaction(0, tx.value, 1);
    const index = new LabelIndex(2);
    index.remember('t1', 42, 1000, views, 0);
    expect(index.writeLabel('nope', true, views, 1, 5)).toBe(false);
    expect(index.writeLabel('t1', true, views, 1, 5)).toBe(true);
    const d = views.decode(1);
    expect(d).toMatchObject({ label: true, fraud: true, txNum: 42, timestampMs: 1000, cardKey: hashKey('card-a'), terminalKey: hashKey('term-b') });
  });

  it.each([
    ['string ids', ['a', 'b', 'c']],
    ['integer ids (kept by number)', ['10', '11', '12']],
  ])('forgets the oldest id when full, but not an id redelivered since (%s)', (_, [a, b, c]) => {
    const views = new RecordViews(new ArrayBuffer(RECORD_SIZE));
    const index = new LabelIndex(2);
    const remember = (id: string, seq: number): void => {
      const tx = validateTransaction({ id, cardId: 'card', terminalId: 'term', amount: 1, timestamp: 1 });
      if (!tx.ok) throw new Error('fixture');
      views.writeTransaction(0, tx.value, 0);
      index.remember(id, seq, 0, views, 0);
    };
    remember(a!, 0);
    remember(b!, 1);
    remember(a!, 2); // evicts entry 0 (old a), but a now lives in entry 0 again
    expect(index.has(a!)).toBe(true);
    expect(index.has(b!)).toBe(true);
    remember(c!, 3); // evicts b
    expect(index.has(b!)).toBe(false);
    expect(index.has(c!)).toBe(true);
    expect(index.has('010')).toBe(false); // not the canonical form of 10
    expect(index.size).toBe(2);
  });

  it('answers like a Map of the last maxSize ids over long random runs (collisions, redeliveries, evictions)', () => {
    // The reference is the plain definition: a Map from id to its newest entry, an entry forgotten when overwritten
    // unless its id was remembered again since. Small indexes and a small id pool make the table's probe runs collide
    // and its back-shifting deletes run on every kind of cluster.
    const views = new RecordViews(new ArrayBuffer(RECORD_SIZE));
    let x = 12345;
    const rand = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (const maxSize of [1, 2, 3, 7, 64, 500]) {
      const index = new LabelIndex(maxSize);
      const pool = Array.from({ length: maxSize * 3 + 2 }, (_, i) => (i % 3 === 0 ? String(1000 + i) : `id-${i}`));
      const entryIds: (string | undefined)[] = new Array(maxSize);
      const reference = new Map<string, number>();
      const lastStep = new Map<string, number>();
      let next = 0;
      for (let step = 0; step < 20_000; step++) {
        const id = pool[rand(pool.length)]!;
        const tx = validateTransaction({ id, cardId: 'card', terminalId: 'term', amount: 1, timestamp: 1 });
        if (!tx.ok) throw new Error('fixture');
        views.writeTransaction(0, tx.value, 0);
        index.remember(id, step, step, views, 0);
        const old = entryIds[next];
        if (old !== undefined && reference.get(old) === next) reference.delete(old);
        entryIds[next] = id;
        reference.set(id, next);
        lastStep.set(id, step);
        next = (next + 1) % maxSize;
        expect(index.size).toBe(reference.size);
        if (step % 97 === 0) {
          for (const probe of pool) {
            expect(index.has(probe)).toBe(reference.has(probe));
          }
        }
      }
      // Every remembered id writes the label of its newest transaction (remembered with the step as its sequence).
      const labels = new RecordViews(new ArrayBuffer(RECORD_SIZE));
      for (const [id] of reference) {
        expect(index.writeLabel(id, true, labels, 0, 1)).toBe(true);
        expect(labels.decode(0)).toMatchObject({ label: true, fraud: true, txNum: lastStep.get(id) });
      }
    }
  });
});

describe('compactQueue', () => {
  it('drops a head-indexed queue\'s read front only when everything was read or more than 65,536 were', () => {
    const small = [1, 2, 3];
    expect(compactQueue(small, 1)).toBe(small);
    expect(compactQueue(small, 3)).toEqual([]);
    expect(compactQueue(small, 3)).not.toBe(small);
    const big = Array.from({ length: 70_000 }, (_, i) => i);
    expect(compactQueue(big, 65_536)).toBe(big);
    expect(compactQueue(big, 65_537)).toEqual(big.slice(65_537));
  });
});

describe('LabelFifo', () => {
  it('keeps order and grows up to its bound', () => {
    const fifo = new LabelFifo(3000);
    for (let i = 0; i < 3000; i++) fifo.push(String(i), i, i % 2 === 0);
    expect(fifo.full).toBe(true);
    const out: string[] = [];
    while (fifo.size > 0) fifo.pop((id, fraud) => out.push(`${id}:${fraud}`));
    expect(out[0]).toBe('0:true');
    expect(out[2999]).toBe('2999:false');
    expect(out).toHaveLength(3000);
  });
});

describe('SimulatedFeed', () => {
  it('writes valid JSON transactions keyed by card id, and labels once their delay passed in event time', async () => {
    const feed = new SimulatedFeed({ seed: 3, customers: 200, terminals: 400, labelDelayDays: 1 });
    const txs: JsonMessage[] = [];
    const labels: JsonMessage[] = [];
    while (txs.length < 5000) await feed.next(1000, txs, labels);
    const ts = new Map<string, number>();
    const cardOf = new Map<string, string>();
    for (const m of txs) {
      const r = validateTransaction(JSON.parse(m.value));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(m.key).toBe(r.value.cardId);
      expect(r.value.mcc).toBeGreaterThan(0);
      ts.set(r.value.id, r.value.timestampMs);
      cardOf.set(r.value.id, r.value.cardId);
    }
    const last = Math.max(...ts.values());
    expect(labels.length).toBeGreaterThan(0);
    for (const l of labels) {
      const v = JSON.parse(l.value) as { id: string; fraud: boolean };
      expect(l.key).toBe(cardOf.get(v.id));
      expect(typeof v.fraud).toBe('boolean');
      // No label leaves before its delay (one simulated day) has passed in event time.
      expect(ts.get(v.id)! + 86_400_000).toBeLessThanOrEqual(last);
    }
    const rest: JsonMessage[] = [];
    feed.flushLabels(rest);
    expect(labels.length + rest.length).toBe(txs.length);
  });

  it('transactionJson round-trips through validateTransaction', () => {
    const tx = validateTransaction({
      id: 'x"1', cardId: 'c', terminalId: 't', amount: 12.5, currency: 'USD', timestamp: '2018-04-01T10:00:00Z',
      mcc: 5411, channel: 'ONLINE', cardPresent: false, country: 'BE', lat: 50.5, lon: 4.25,
    });
    if (!tx.ok) throw new Error('fixture');
    const back = validateTransaction(JSON.parse(transactionJson(tx.value)));
    expect(back).toEqual(tx);
  });
});
