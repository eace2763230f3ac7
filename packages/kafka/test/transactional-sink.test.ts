import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransactionalDecisionSink, type DecidedRecord } from '../src/index.js';
import { broker, freshTopics, kcatRead } from './helpers/kafka.js';

// The exactly-once output against the real broker, read back by kcat (librdkafka) with read_committed and
// read_uncommitted.
let brokers = '';
const sinks: TransactionalDecisionSink[] = [];

beforeEach(async () => {
  brokers = await broker();
}, 300_000);

afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
});

function decided(i: number): DecidedRecord {
  return { txId: String(i), decisionId: `t-0-${i}`, cardId: `card-${i % 5}`, decision: i % 2 === 0 ? 'APPROVE' : 'DECLINE', score: 0.5, reasons: [] };
}

function sink(decisions: string, alerts: string, transactionalId: string): TransactionalDecisionSink {
  const s = new TransactionalDecisionSink({ brokers, decisionsTopic: decisions, alertsTopic: alerts, transactionalId });
  sinks.push(s);
  return s;
}

const member = { groupId: 'unused', generationId: -1, memberId: '', coordinatorId: 0 };

describe('TransactionalDecisionSink against a real broker', () => {
  it('decisions are invisible to read_committed until the cut commits them; a null cut keeps the transaction open', async () => {
    const [decisions, alerts] = await freshTopics(brokers, 2, 'txd', 'txa');
    const s = sink(decisions!, alerts!, `test-${randomUUID()}`);
    await s.begin();
    await s.send([decided(0), decided(1), decided(2)]);
    expect(kcatRead(brokers, decisions!, 'read_uncommitted')).toHaveLength(3);
    expect(kcatRead(brokers, decisions!)).toHaveLength(0);
    expect(await s.cut(Promise.resolve(null))).toBe(false);
    await s.send([decided(3)]);
    expect(kcatRead(brokers, decisions!)).toHaveLength(0);
    expect(await s.cut(Promise.resolve({ member, offsets: [] }))).toBe(true);
    expect(kcatRead(brokers, decisions!).map((m) => JSON.parse(m.value).id).sort()).toEqual(['0', '1', '2', '3']);
    // The alerts (DECLINE) went into the same transaction.
    expect(kcatRead(brokers, alerts!)).toHaveLength(2);
    // A cut with nothing sent since commits nothing.
    expect(await s.cut(Promise.resolve({ member, offsets: [] }))).toBe(false);
    expect(s.stats()).toMatchObject({ produced: 4, alerts: 2, committed: 1, aborted: 0, inFlight: 0 });
  }, 60_000);

  it('abort(reason) aborts the open transaction (never visible to read_committed), tells onFatal and fails the sink', async () => {
    const [decisions, alerts] = await freshTopics(brokers, 2, 'txd', 'txa');
    const s = sink(decisions!, alerts!, `test-${randomUUID()}`);
    let fatal: Error | undefined;
    s.onFatal = (e) => (fatal = e);
    await s.begin();
    await s.send([decided(0)]);
    expect(await s.cut(Promise.resolve({ member, offsets: [] }))).toBe(true);
    await s.send([decided(1), decided(2)]);
    await s.abort(new Error('decisions of a revoked partition'));
    expect(fatal?.message).toBe('decisions of a revoked partition');
    expect(s.stats()).toMatchObject({ committed: 1, aborted: 1, error: 'decisions of a revoked partition' });
    expect(() => s.send([decided(3)])).toThrow(/failed/);
    // The committed transaction stays; the aborted one's two decisions are in the log but never committed.
    expect(kcatRead(brokers, decisions!).map((m) => JSON.parse(m.value).id)).toEqual(['0']);
    expect(kcatRead(brokers, decisions!, 'read_uncommitted')).toHaveLength(3);
  }, 60_000);

  it('a successor with the same transactional id aborts the open transaction and fences the old holder', async () => {
    const [decisions, alerts] = await freshTopics(brokers, 2, 'txd', 'txa');
    const id = `test-${randomUUID()}`;
    const old = sink(decisions!, alerts!, id);
    let fatal: Error | undefined;
    old.onFatal = (e) => (fatal = e);
    await old.begin();
    await old.send([decided(0), decided(1)]);
    const successor = sink(decisions!, alerts!, id);
    await successor.begin();
    await successor.send([decided(7)]);
    expect(await successor.cut(Promise.resolve({ member, offsets: [] }))).toBe(true);
    // Only the successor's decision is committed; the old holder's two were aborted (still in the log, uncommitted).
    expect(kcatRead(brokers, decisions!).map((m) => JSON.parse(m.value).id)).toEqual(['7']);
    expect(kcatRead(brokers, decisions!, 'read_uncommitted')).toHaveLength(3);
    // The zombie can neither commit nor send.
    await expect(old.cut(Promise.resolve({ member, offsets: [] }))).rejects.toThrow();
    expect(fatal).toBeInstanceOf(Error);
    expect(old.stats().error).toBeDefined();
    expect(() => old.send([decided(9)])).toThrow(/failed/);
    expect(kcatRead(brokers, decisions!).map((m) => JSON.parse(m.value).id)).toEqual(['7']);
  }, 60_000);

  it('offsets of a member the group does not know are refused by the broker (KIP-447 fencing), and nothing commits', async () => {
    const [decisions, alerts, input] = await freshTopics(brokers, 2, 'txd', 'txa', 'txi');
    const s = sink(decisions!, alerts!, `test-${randomUUID()}`);
    await s.begin();
    await s.send([decided(0)]);
    const stale = { groupId: `test-group-${randomUUID()}`, generationId: 7, memberId: 'gone-member', coordinatorId: 1 };
    await expect(s.cut(Promise.resolve({ member: stale, offsets: [{ topic: input!, partition: 0, offset: 5 }] }))).rejects.toThrow();
    expect(s.stats()).toMatchObject({ committed: 0, aborted: 1 });
    expect(kcatRead(brokers, decisions!)).toHaveLength(0);
  }, 60_000);

  it('names a bad option', () => {
    expect(() => new TransactionalDecisionSink({ brokers: '127.0.0.1:9092', transactionalId: '' })).toThrow(/options\.transactionalId/);
    expect(() => new TransactionalDecisionSink({ brokers: '127.0.0.1:9092', transactionalId: 'x', transactionTimeoutMs: 5 })).toThrow(/options\.transactionTimeoutMs/);
  });
});
