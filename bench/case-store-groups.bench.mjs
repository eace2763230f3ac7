// CPU per case of SQLite's part of opening cases (issue 10, item 7), by schema variant and commit group size: 33,000
// cases of the store's row shape (random 32-hex ids, 5,000 cards) inserted with better-sqlite3 into the case store's
// schema (a copy, so variants can drop parts), with or without the audit row per case, in transactions of G cases.
// CPU time of this single thread (process.cpuUsage). Usage: pnpm build && node bench/case-store-groups.bench.mjs
import { createRequire } from 'node:module';
const require = createRequire(new URL('../packages/store/package.json', import.meta.url));
const Database = require('better-sqlite3');
import { rmSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
const root = new URL('../data/case-store-groups', import.meta.url).pathname;
const N = 33000;
const rows = [];
for (let i = 0; i < N; i++) rows.push([createHash('sha256').update('x'+i).digest('hex').slice(0,32), String(i*125), createHash('sha256').update('c'+(i%5000)).digest('hex').slice(0,16), i%2?'REVIEW':'DECLINE', 0.8, '["a","b","c"]', 'm1', 1e12+i, 1, 1, '{"amount":10,"currency":"EUR","channel":null,"mcc":null,"country":null,"cardPresent":null,"terminalRef":"00000000deadbeef"}', '0123456789abcdef0123456789abcdef', '0123456789abcdef', i]);
function run(name, idx, events, sync='NORMAL', fk='ON', ac=1000, G=200) {
  rmSync(root, { recursive: true, force: true }); mkdirSync(root);
  const db = new Database(root + '/c.sqlite');
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = '+sync); db.pragma('foreign_keys = '+fk); db.pragma('wal_autocheckpoint = '+ac);
  db.exec(`CREATE TABLE cases (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, transaction_id TEXT NOT NULL, card_ref TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('REVIEW', 'DECLINE')), score REAL, reasons TEXT NOT NULL, model_version TEXT NOT NULL, event_ms INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('open', 'confirmed_fraud', 'legitimate')), opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL, note TEXT, version INTEGER NOT NULL, detail TEXT, label_sealed TEXT, label_run TEXT, label_seq INTEGER);
  CREATE TABLE case_events (case_id TEXT NOT NULL REFERENCES cases (id), seq INTEGER NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, from_status TEXT, to_status TEXT NOT NULL, note TEXT, PRIMARY KEY (case_id, seq)) WITHOUT ROWID;` + idx);
  const ins = db.prepare(`INSERT INTO cases (id, transaction_id, card_ref, decision, score, reasons, model_version, event_ms, status, opened_at, updated_at, updated_by, note, version, detail, label_sealed, label_run, label_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 'system', NULL, 1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  const ev = db.prepare(`INSERT INTO case_events (case_id, seq, at, actor, from_status, to_status, note) VALUES (?, 1, ?, 'system', NULL, 'open', NULL)`);
  const tx = db.transaction((list) => { for (const r of list) { ins.run(r); if (events) ev.run(r[0], 1); } });
  const c = process.cpuUsage();
  for (let i = 0; i < N; i += G) tx(rows.slice(i, i + G));
  const d = process.cpuUsage(c);
  db.close();
  console.log(name.padEnd(40), ((d.user + d.system) / N).toFixed(2), 'us/alert');
}
const IDX = `CREATE INDEX cases_status ON cases (status, seq); CREATE INDEX cases_status_score ON cases (status, (COALESCE(score, -1)), seq); CREATE INDEX cases_card ON cases (card_ref, seq);`;
const S1 = 'CREATE INDEX cases_status ON cases (status, seq);', S2 = 'CREATE INDEX cases_status_score ON cases (status, (COALESCE(score, -1)), seq);', S3 = 'CREATE INDEX cases_card ON cases (card_ref, seq);';
for (let r = 0; r < 2; r++) {
  for (const G of [50, 200, 1000, 4000]) run(`with event rows, ${G} a commit`, IDX, true, 'NORMAL', 'ON', 1000, G);
  for (const G of [50, 200, 1000, 4000]) run(`one row a case, ${G} a commit`, IDX, false, 'NORMAL', 'ON', 1000, G);
  run('one row, 200, -(status, seq)', S2 + S3, false);
  run('one row, 200, -(status, score, seq)', S1 + S3, false);
  run('one row, 200, -(card_ref, seq)', S1 + S2, false);
  run('one row, 200, synchronous=OFF', IDX, false, 'OFF');
}
