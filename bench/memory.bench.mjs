// Scorer state per active card with 1,000,000 distinct cards (one transaction each, on 10,000 terminals, over 30
// days of event time), two ways: the addon's own account of the heap its stores hold (`stateSize`: allocated
// capacity of the card slab and of the hash index, including the unused part of both) and the process RSS growth
// while the state is built (includes allocator overhead and the terminals). Peer in the same run: the same card
// payload kept the obvious JavaScript way, a Map from card key to an object holding its buckets, measured by the
// V8 heap growth (node --expose-gc for a clean figure; without it the figure includes garbage).
import { Scorer } from '@fraudstream/scorer';
import { readFileSync } from 'node:fs';
import { CARDS, millionCardRecords, scoreAll } from './lib/million-cards.mjs';

const gc = () => globalThis.gc?.();

export async function run() {
  const v = millionCardRecords();
  gc();
  const rss0 = process.memoryUsage().rss;
  const scorer = Scorer.open();
  scorer.loadModel(readFileSync(new URL('../models/default.json', import.meta.url), 'utf8'));
  const ms = scoreAll(scorer, v);
  const rss1 = process.memoryUsage().rss;
  const size = scorer.stateSize();
  scorer.close();

  // The JavaScript peer: per card an object with the same daily buckets (25 days x count + amount) and prev_ts.
  gc();
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const map = new Map();
  for (let i = 0; i < CARDS; i++) {
    const key = (BigInt(v.cardKeyHi(i)) << 32n) | BigInt(v.cardKeyLo(i));
    map.set(key, { last: 0, prevTs: v.timestampMs(i), counts: new Uint16Array(25), amounts: new Float32Array(25) });
  }
  gc();
  const heap1 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const jsBytes = (heap1 - heap0) / CARDS;
  map.clear();

  return [
    { name: `Rust scorer state, stateSize accounting (${size.cards} cards)`, cards: size.cards, bytesPerCard: size.cardBytes / size.cards, terminals: size.terminals, terminalBytes: size.terminalBytes, buildMs: ms },
    { name: 'Rust scorer state, RSS growth while building (cards + terminals + allocator)', cards: size.cards, bytesPerCard: (rss1 - rss0) / size.cards },
    { name: 'JavaScript Map<bigint, {buckets}> with the same payload, V8 heap growth', cards: CARDS, bytesPerCard: jsBytes, exactGc: globalThis.gc !== undefined },
  ];
}
