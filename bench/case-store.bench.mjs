// CPU per alert of opening cases (issue 10, item 7), by part: (store) the SQLite case store's openCases alone, with
// the alerts already built, in commit groups of 2,048; (writer) the whole CaseWriter path, queueBatch on the main
// thread and the worker's decode + commit, with the CPU of the main thread and of every other thread of the process
// (the worker, its GC helpers, libuv) read from /proc/self/task/*/schedstat (ns of CPU per thread). Same batches as
// case-writer.bench.mjs: 4,096 decisions with 0.8 % alerts, fresh transaction ids per batch.
// Usage: pnpm build && [CASE_STORE_MODULE=...] node bench/case-store.bench.mjs [batches = 1500] [rounds = 3]
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { alertBatch } from './lib/alert-batch.mjs';
import { featureNames, ruleNames } from '@fraudstream/scorer';
// CASE_STORE_MODULE=path/to/another/build/index.js measures another build of the store in the same run (before/after).
const { CaseWriter, decisionIdOf, openCaseStore } = await import(process.env.CASE_STORE_MODULE ?? '@fraudstream/store');

const batches = Number(process.argv[2] ?? 1500);
const rounds = Number(process.argv[3] ?? 3);
const SIZE = 4096;
const EVERY = 125;
const root = new URL('../data/case-store-bench/', import.meta.url).pathname;
const secret = Buffer.alloc(32, 7);
const { records, results, alertsPerBatch, renumber } = alertBatch(SIZE, EVERY);
const alerts = batches * alertsPerBatch;

/** ns of CPU of the main thread and of all other threads of this process so far. */
function threadCpu() {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    let ns;
    try {
      ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // the thread exited meanwhile
    }
    if (Number(tid) === process.pid) main += ns;
    else other += ns;
  }
  return { main, other };
}

async function store(dir) {
  const s = await openCaseStore({ dataDir: dir });
  let opened = 0;
  let cpuUs = 0;
  let pending = [];
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < alertsPerBatch; i++) {
      const tx = String(b * SIZE + i * EVERY);
      pending.push({ decisionId: decisionIdOf(tx), transactionId: tx, cardRef: (0x1234abcd + i * 7919).toString(16).padStart(16, '0'), decision: i % 2 === 0 ? 'REVIEW' : 'DECLINE', score: 0.8, reasons: ['amount_over_limit', 'amount', 'card_count_1h'], modelVersion: 'm1', eventTimeMs: Date.UTC(2018, 3, 1) + i, detail: { amount: 10, currency: 'EUR', channel: null, mcc: null, country: null, cardPresent: null, terminalRef: '00000000deadbeef' }, labelRef: { sealed: '0123456789abcdef0123456789abcdef', run: '0123456789abcdef', seq: b * SIZE + i } });
    }
    if (pending.length >= 2048 || b === batches - 1) {
      const c = process.cpuUsage();
      opened += await s.openCases(pending);
      const d = process.cpuUsage(c);
      cpuUs += d.user + d.system;
      pending = [];
    }
  }
  await s.close();
  return { opened, storeCpuUsPerAlert: +(cpuUs / alerts).toFixed(2) };
}

async function writer(dir) {
  const w = await CaseWriter.open({ dataDir: dir, secret, names: { ruleNames, featureNames } });
  const c0 = threadCpu();
  for (let b = 0; b < batches; b++) {
    renumber(b);
    w.queueBatch(records, results, 0, SIZE, 'm1', () => undefined);
    if (b % 25 === 24) await new Promise((r) => setImmediate(r));
  }
  await w.flush();
  const c1 = threadCpu();
  const opened = w.stats().opened;
  await w.close();
  return { opened, mainUsPerAlert: +((c1.main - c0.main) / 1000 / alerts).toFixed(2), otherThreadsUsPerAlert: +((c1.other - c0.other) / 1000 / alerts).toFixed(2) };
}

console.log(`case store CPU per alert: ${batches} batches of ${SIZE} decisions (${alertsPerBatch} alerts each), ${rounds} rounds; ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}, ${new Date().toISOString()}, load ${loadavg()[0].toFixed(1)}`);
const out = { store: [], writer: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of [['store', store], ['writer', writer]]) {
    const dir = `${root}${name}-${r}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const res = await fn(dir);
    rmSync(dir, { recursive: true, force: true });
    if (res.opened !== alerts) throw new Error(`${name}: opened ${res.opened} of ${alerts} cases`);
    const row = { mode: name, ...res, load: +loadavg()[0].toFixed(1) };
    out[name].push(row);
    console.log(JSON.stringify(row));
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`store: openCases ${med(out.store.map((x) => x.storeCpuUsPerAlert))} us CPU per alert (median)`);
console.log(`writer: main thread ${med(out.writer.map((x) => x.mainUsPerAlert))} us, other threads ${med(out.writer.map((x) => x.otherThreadsUsPerAlert))} us CPU per alert (medians)`);
