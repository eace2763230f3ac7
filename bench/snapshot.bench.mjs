// Scorer snapshot and restore at 1,000,000 cards (issue 10, item 1): the whole state (card and terminal stores,
// pending label buckets, thresholds) written by `Scorer.snapshot` (encode + write a temporary file + fdatasync +
// rename, on the libuv pool) and read back by `Scorer.restore` (read + CRC32C + decode, checked whole first), with
// the file's size. State: 1,000,000 distinct cards with one transaction each on 10,000 terminals over 30 days of
// event time (built by lib/million-cards.mjs, as for memory.bench.mjs). Peers in the same run: writing the same number of bytes with
// `fs.writeFileSync` + fsync (the disk's own cost, the floor for any snapshot format) and reading them back.
// A snapshot is taken at every checkpoint (default every 10 s); the restore runs once at start.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { Scorer } from '@fraudstream/scorer';
import { millionCardRecords, scoreAll } from './lib/million-cards.mjs';

const ROUNDS = 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function run() {
  const dir = new URL('../data/snapshot-bench/', import.meta.url).pathname;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const model = readFileSync(new URL('../models/default.json', import.meta.url), 'utf8');
  const v = millionCardRecords();
  const scorer = Scorer.open();
  scorer.loadModel(model);
  scoreAll(scorer, v);
  const size = scorer.stateSize();
  const file = `${dir}snap.bin`;
  const snapMs = [];
  const restoreMs = [];
  let info;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    info = await scorer.snapshot(file, { modelVersion: 'bench', thresholdsVersion: '1' });
    snapMs.push(performance.now() - t0);
  }
  const fresh = Scorer.open();
  fresh.loadModel(model);
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    fresh.restore(file);
    restoreMs.push(performance.now() - t0);
  }
  const restored = fresh.stateSize();
  fresh.close();
  scorer.close();
  const bytes = statSync(file).size;

  // Peer: the same bytes written and fsynced, then read back, with no encoding or checking.
  const raw = Buffer.alloc(bytes, 7);
  const rawFile = `${dir}raw.bin`;
  const writeMs = [];
  const readMs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const fd = openSync(rawFile, 'w');
    writeSync(fd, raw);
    fsyncSync(fd);
    closeSync(fd);
    writeMs.push(performance.now() - t0);
    const t1 = performance.now();
    readFileSync(rawFile);
    readMs.push(performance.now() - t1);
  }
  rmSync(dir, { recursive: true, force: true });
  if (restored.cards !== size.cards || restored.terminals !== size.terminals) {
    throw new Error(`restore holds ${restored.cards} cards / ${restored.terminals} terminals, the snapshot ${size.cards} / ${size.terminals}`);
  }
  return [
    { name: `Scorer.snapshot, ${size.cards.toLocaleString('en')} cards + ${size.terminals.toLocaleString('en')} terminals (median of ${ROUNDS})`, meanMs: median(snapMs), allMs: snapMs, bytes, bytesPerCard: bytes / size.cards, cards: info.cards },
    { name: `Scorer.restore of that file (median of ${ROUNDS})`, meanMs: median(restoreMs), allMs: restoreMs, bytes },
    { name: 'peer: writeSync + fsync of the same number of bytes', meanMs: median(writeMs), allMs: writeMs, bytes },
    { name: 'peer: readFileSync of the same number of bytes (page cache)', meanMs: median(readMs), allMs: readMs, bytes },
  ];
}
