// Scorer snapshot and restore at 1,000,000 cards (issue 10, item 1): the whole state (card and terminal stores,
// pending label buckets, thresholds) written by `Scorer.snapshot` (encode + write a temporary file + fdatasync +
// rename, on the libuv pool) and read back by `Scorer.restore` (read + CRC32C + decode, checked whole first), with
// the file's size. State: 1,000,000 distinct cards with one transaction each on 10,000 terminals over 30 days of
// event time (as memory.bench.mjs builds it). Peers in the same run: writing the same number of bytes with
// `fs.writeFileSync` + fsync (the disk's own cost, the floor for any snapshot format) and reading them back.
// A snapshot is taken at every checkpoint (default every 10 s); the restore runs once at start.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { Scorer } from '@fraudstream/scorer';
import { RecordViews, RECORD_SIZE, RESULT_SIZE, packCurrency } from '@fraudstream/schema';

const CARDS = 1_000_000;
const TERMINALS = 10_000;
const BATCH = 4096;
const DAY = 86_400_000;
const ROUNDS = 3;

function records() {
  const v = new RecordViews(new ArrayBuffer(CARDS * RECORD_SIZE));
  const start = Date.UTC(2018, 3, 1);
  const eur = packCurrency('EUR');
  for (let i = 0; i < CARDS; i++) {
    v.setHeader(i, i, start + Math.floor((i / CARDS) * 30 * DAY), 10 + (i % 997), 0);
    v.setKeys(i, Math.imul(i + 1, 0x9e3779b1) >>> 0, i, Math.imul((i % TERMINALS) + 1, 0x85ebca6b) >>> 0, 7);
    v.setTerminalFields(i, 0, 0, eur, Number.NaN, Number.NaN);
  }
  return v;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function run() {
  const dir = new URL('../data/snapshot-bench/', import.meta.url).pathname;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const model = readFileSync(new URL('../models/default.json', import.meta.url), 'utf8');
  const v = records();
  const results = new Uint8Array(BATCH * RESULT_SIZE);
  const scorer = Scorer.open();
  scorer.loadModel(model);
  let t = 0;
  for (let s = 0; s < CARDS; s += BATCH, t++) {
    const n = Math.min(BATCH, CARDS - s);
    scorer.scoreBatch(v.bytes(s, n), results, 0, n, t);
  }
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
