// The decision-log candidates, measured in one run on the same decision rows (issue 10, item 3):
//   - segment: @fraudstream/store's append-only segment files of checksummed columnar blocks (our own format),
//   - duckdb:  @duckdb/node-api's appender into a file database,
//   - sqlite:  better-sqlite3 12.x, WAL, prepared INSERT inside transactions, with the indexes the queries need.
// Each store is loaded from empty at three durability cadences: a durable point (fsync) after every batch of 2,048
// decisions, after every 64 batches (131,072 decisions, ~0.13 s of decisions at 1M/s) and only at the end. The
// producer waits for each durable point, as the engine would wait for a checkpoint. Then the queries of
// `fraudstream decisions` run on the store loaded at the 64-batch cadence, and the bytes per decision are taken.
// Usage: node --expose-gc bench/run-all.mjs decision-log     (DECISION_LOG_ROWS=N changes the 1,000,000 rows)
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIGINT, DOUBLE, DuckDBDataChunk, DuckDBInstance, FLOAT, UTINYINT, VARCHAR } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { CardRefHasher, DecisionLog, decisionIdOf } from '@fraudstream/store';

const ROWS = Number(process.env.DECISION_LOG_ROWS ?? 1_000_000);
const BATCH = 2048;
const CADENCES = [
  ['every batch (2,048)', 1],
  ['every 64 batches (131,072)', 64],
  ['at the end only', Infinity],
];
const REASONS = ['AMOUNT_HIGH', 'CARD_VELOCITY_1D', 'TERMINAL_RISK_28D', 'NEW_COUNTRY', 'IMPOSSIBLE_TRAVEL', 'amount', 'card_avg_amount_1d', 'terminal_risk_7d', 'card_count_1d', 'hour', 'is_night', 'card_amount_ratio_7d'];
const MODEL = 'default-1a2b3c4d';
const CARDS = 200_000;

/** The same rows for every store: ~97 % APPROVE, 2 % REVIEW, 1 % DECLINE; alerts carry 2-5 reasons. */
function makeRows(n) {
  const hasher = new CardRefHasher(Buffer.alloc(32, 1));
  const refHi = new Uint32Array(CARDS);
  const refLo = new Uint32Array(CARDS);
  const out2 = new Uint32Array(2);
  for (let c = 0; c < CARDS; c++) {
    hasher.refOfKeyInto(c * 2654435761 >>> 0, c, out2, 0);
    refHi[c] = out2[0];
    refLo[c] = out2[1];
  }
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rows = { n, txId: new Array(n), txNum: new Float64Array(n), ts: new Float64Array(n), score: new Float32Array(n), decision: new Uint8Array(n), reasons: new Array(n), card: new Uint32Array(n), refHi, refLo };
  const t0 = Date.UTC(2018, 7, 1);
  for (let i = 0; i < n; i++) {
    rows.txId[i] = String(100_000_000 + i);
    rows.txNum[i] = 100_000_000 + i;
    rows.ts[i] = t0 + i * 10 + Math.floor(rnd() * 5);
    const u = rnd();
    rows.decision[i] = u < 0.97 ? 0 : u < 0.99 ? 1 : 2;
    rows.score[i] = rows.decision[i] === 0 ? u * 0.5 : 0.5 + u * 0.49;
    const k = rows.decision[i] === 0 ? 0 : 2 + Math.floor(rnd() * 4);
    const rs = [];
    for (let r = 0; r < k; r++) rs.push(REASONS[(i + r * 5) % REASONS.length]);
    rows.reasons[i] = rs;
    rows.card[i] = Math.floor(rnd() * CARDS);
  }
  return rows;
}

const cardBig = (rows, c) => BigInt.asIntN(64, (BigInt(rows.refHi[c]) << 32n) | BigInt(rows.refLo[c]));
const hexRef = (rows, c) => rows.refHi[c].toString(16).padStart(8, '0') + rows.refLo[c].toString(16).padStart(8, '0');

function dirBytes(dir) {
  let total = 0;
  for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  return total;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(fn, reps) {
  await fn();
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

// ---------------------------------------------------------------- segment log (ours)
// The engine's records carry integer ids as numbers (txNum), so the log is given numbers: no string is made.
const segment = {
  name: 'segment log (@fraudstream/store)',
  ids: 'num',
  async load(dir, rows, every) {
    const log = DecisionLog.open(dir);
    let batches = 0;
    for (let s = 0; s < rows.n; s += BATCH) {
      const e = Math.min(rows.n, s + BATCH);
      for (let i = s; i < e; i++) {
        const c = rows.card[i];
        log.add(this.ids === 'num' ? rows.txNum[i] : rows.txId[i], rows.ts[i], rows.score[i], rows.decision[i], rows.reasons[i], MODEL, rows.refHi[c], rows.refLo[c]);
      }
      if (++batches % every === 0) await log.sync();
      else log.flush();
    }
    await log.sync();
    return log;
  },
  queries(log, rows) {
    let cursor = null;
    return {
      alerts: () => {
        const p = log.query({ decisions: ['REVIEW', 'DECLINE'], limit: 100 });
        cursor = p.next;
        return p.rows.length;
      },
      alertsPage2: () => log.query({ decisions: ['REVIEW', 'DECLINE'], limit: 100, before: cursor }).rows.length,
      card: (c) => log.query({ cardRef: hexRef(rows, c), limit: 100 }).rows.length,
      timeRange: (since, until) => log.query({ since, until, limit: 1000 }).rows.length,
      alertsInRangeCount: (since, until) => {
        let n = 0;
        for (const _ of log.scan({ since, until, decisions: ['REVIEW', 'DECLINE'] })) n++;
        return n;
      },
    };
  },
  close: (log) => log.close(),
};

// The same with the ids as strings (what non-integer ids cost), at the 64-batch cadence only.
const segmentStrings = { ...segment, name: 'segment log, transaction ids as strings', ids: 'str', cadences: [64] };

// ---------------------------------------------------------------- DuckDB
const duckdb = {
  name: 'DuckDB 1.5.6 appender (@duckdb/node-api)',
  async load(dir, rows, every) {
    const instance = await DuckDBInstance.create(join(dir, 'decisions.duckdb'));
    const conn = await instance.connect();
    await conn.run(
      'CREATE TABLE decisions (seq BIGINT, tx_id VARCHAR, event_ms DOUBLE, score FLOAT, decision UTINYINT, reasons VARCHAR, model VARCHAR, card_ref BIGINT)',
    );
    const app = await conn.createAppender('decisions');
    const cards = new Array(CARDS);
    for (let c = 0; c < CARDS; c++) cards[c] = cardBig(rows, c);
    let batches = 0;
    for (let s = 0; s < rows.n; s += BATCH) {
      const e = Math.min(rows.n, s + BATCH);
      for (let i = s; i < e; i++) {
        app.appendBigInt(BigInt(i));
        app.appendVarchar(rows.txId[i]);
        app.appendDouble(rows.ts[i]);
        app.appendFloat(rows.score[i]);
        app.appendUTinyInt(rows.decision[i]);
        app.appendVarchar(rows.reasons[i].join(','));
        app.appendVarchar(MODEL);
        app.appendBigInt(cards[rows.card[i]]);
        app.endRow();
      }
      // Appender flush commits what was appended; a commit writes and fsyncs DuckDB's WAL.
      if (++batches % every === 0) app.flushSync();
    }
    app.flushSync();
    app.closeSync();
    return { instance, conn };
  },
  queries({ conn }, rows) {
    let cursor = 0n;
    const all = async (sql, params) => (await conn.runAndReadAll(sql, params)).getRows();
    return {
      alerts: async () => {
        const r = await all('SELECT seq, tx_id, event_ms, score, decision, reasons, model, card_ref FROM decisions WHERE decision > 0 ORDER BY seq DESC LIMIT 100');
        cursor = r[r.length - 1][0];
        return r.length;
      },
      alertsPage2: async () => (await all('SELECT seq, tx_id, event_ms, score, decision, reasons, model, card_ref FROM decisions WHERE decision > 0 AND seq < $1 ORDER BY seq DESC LIMIT 100', [cursor])).length,
      card: async (c) => (await all('SELECT seq, tx_id, event_ms, score, decision, reasons, model, card_ref FROM decisions WHERE card_ref = $1 ORDER BY seq DESC LIMIT 100', [cardBig(rows, c)])).length,
      timeRange: async (since, until) => (await all('SELECT seq, tx_id, event_ms, score, decision, reasons, model, card_ref FROM decisions WHERE event_ms >= $1 AND event_ms < $2 ORDER BY seq DESC LIMIT 1000', [since, until])).length,
      alertsInRangeCount: async (since, until) => Number((await all('SELECT count(*) FROM decisions WHERE decision > 0 AND event_ms >= $1 AND event_ms < $2', [since, until]))[0][0]),
    };
  },
  async settle({ conn }) {
    await conn.run('CHECKPOINT');
  },
  close: ({ conn, instance }) => {
    conn.closeSync();
    instance.closeSync();
  },
};

// DuckDB again, one data chunk of 2,048 rows per batch (columns set at once) instead of one call per value.
const duckdbChunks = {
  ...duckdb,
  name: 'DuckDB 1.5.6 appender, one data chunk per batch',
  async load(dir, rows, every) {
    const instance = await DuckDBInstance.create(join(dir, 'decisions.duckdb'));
    const conn = await instance.connect();
    await conn.run(
      'CREATE TABLE decisions (seq BIGINT, tx_id VARCHAR, event_ms DOUBLE, score FLOAT, decision UTINYINT, reasons VARCHAR, model VARCHAR, card_ref BIGINT)',
    );
    const app = await conn.createAppender('decisions');
    const cards = new Array(CARDS);
    for (let c = 0; c < CARDS; c++) cards[c] = cardBig(rows, c);
    const types = [BIGINT, VARCHAR, DOUBLE, FLOAT, UTINYINT, VARCHAR, VARCHAR, BIGINT];
    let batches = 0;
    for (let s = 0; s < rows.n; s += BATCH) {
      const e = Math.min(rows.n, s + BATCH);
      const cols = [[], [], [], [], [], [], [], []];
      for (let i = s; i < e; i++) {
        cols[0].push(BigInt(i));
        cols[1].push(rows.txId[i]);
        cols[2].push(rows.ts[i]);
        cols[3].push(rows.score[i]);
        cols[4].push(rows.decision[i]);
        cols[5].push(rows.reasons[i].join(','));
        cols[6].push(MODEL);
        cols[7].push(cards[rows.card[i]]);
      }
      const chunk = DuckDBDataChunk.create(types, e - s);
      chunk.setColumns(cols);
      app.appendDataChunk(chunk);
      if (++batches % every === 0) app.flushSync();
    }
    app.flushSync();
    app.closeSync();
    return { instance, conn };
  },
};

// ---------------------------------------------------------------- SQLite
const sqlite = {
  name: 'SQLite 3 (better-sqlite3 12.11.1, WAL, synchronous=FULL)',
  async load(dir, rows, every) {
    const db = new Database(join(dir, 'decisions.sqlite'));
    db.pragma('journal_mode = WAL');
    // FULL: every commit fsyncs the WAL, so a commit is a durable point (NORMAL would not be durable until a checkpoint).
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE decisions (seq INTEGER PRIMARY KEY, tx_id TEXT NOT NULL, event_ms INTEGER NOT NULL, score REAL NOT NULL,
      decision INTEGER NOT NULL, reasons TEXT NOT NULL, model TEXT NOT NULL, card_ref INTEGER NOT NULL);
      CREATE INDEX decisions_alerts ON decisions (seq) WHERE decision > 0;
      CREATE INDEX decisions_card ON decisions (card_ref, seq);
      CREATE INDEX decisions_time ON decisions (event_ms);`);
    const insert = db.prepare('INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const cards = new Array(CARDS);
    for (let c = 0; c < CARDS; c++) cards[c] = cardBig(rows, c);
    let batches = 0;
    db.exec('BEGIN');
    for (let s = 0; s < rows.n; s += BATCH) {
      const e = Math.min(rows.n, s + BATCH);
      for (let i = s; i < e; i++) insert.run(i, rows.txId[i], rows.ts[i], rows.score[i], rows.decision[i], rows.reasons[i].join(','), MODEL, cards[rows.card[i]]);
      if (++batches % every === 0) {
        db.exec('COMMIT');
        db.exec('BEGIN');
      }
    }
    db.exec('COMMIT');
    return db;
  },
  queries(db, rows) {
    let cursor = 0;
    const cols = 'seq, tx_id, event_ms, score, decision, reasons, model, card_ref';
    const qa = db.prepare(`SELECT ${cols} FROM decisions WHERE decision > 0 ORDER BY seq DESC LIMIT 100`);
    const qa2 = db.prepare(`SELECT ${cols} FROM decisions WHERE decision > 0 AND seq < ? ORDER BY seq DESC LIMIT 100`);
    const qc = db.prepare(`SELECT ${cols} FROM decisions WHERE card_ref = ? ORDER BY seq DESC LIMIT 100`);
    const qt = db.prepare(`SELECT ${cols} FROM decisions WHERE event_ms >= ? AND event_ms < ? ORDER BY seq DESC LIMIT 1000`);
    const qn = db.prepare('SELECT count(*) AS n FROM decisions WHERE decision > 0 AND event_ms >= ? AND event_ms < ?');
    return {
      alerts: () => {
        const r = qa.all();
        cursor = r[r.length - 1].seq;
        return r.length;
      },
      alertsPage2: () => qa2.all(cursor).length,
      card: (c) => qc.all(cardBig(rows, c)).length,
      timeRange: (since, until) => qt.all(since, until).length,
      alertsInRangeCount: (since, until) => qn.get(since, until).n,
    };
  },
  async settle(db) {
    db.pragma('wal_checkpoint(TRUNCATE)');
  },
  close: (db) => db.close(),
};

export async function run() {
  const root = new URL('../data/decision-log-bench/', import.meta.url).pathname;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const rows = makeRows(ROWS);
  const device = execFileSync('df', ['--output=source,fstype', root], { encoding: 'utf8' }).trim().split('\n').pop();
  const results = [];
  for (const store of [segment, segmentStrings, duckdb, duckdbChunks, sqlite]) {
    for (const [cadence, every] of CADENCES) {
      if (store.cadences !== undefined && !store.cadences.includes(every)) continue;
      const dir = join(root, `${results.length}-${every}`);
      mkdirSync(dir, { recursive: true });
      globalThis.gc?.();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const handle = await store.load(dir, rows, every);
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const r = {
        name: `${store.name}, durable ${cadence}`,
        store: store.name,
        durableEvery: every === Infinity ? 'end' : every * BATCH,
        rows: ROWS,
        seconds: s,
        recordsPerSecond: ROWS / s,
        cpuUsPerDecision: (cpu.user + cpu.system) / ROWS,
        device,
      };
      if (every === 64) {
        await store.settle?.(handle);
        r.bytesPerDecision = dirBytes(dir) / ROWS;
        const q = store.queries(handle, rows);
        const t = rows.ts;
        const span = t[ROWS - 1] - t[0];
        const since = t[0] + span * 0.5;
        const until = since + span * 0.01;
        let c = 0;
        // A card seen in the data: queries by a card must find it.
        const sample = Array.from({ length: 20 }, (_, k) => rows.card[Math.floor((k + 0.5) * (ROWS / 20))]);
        r.queryMs = {
          latest100Alerts: await timeIt(() => q.alerts(), 20),
          nextPageOfAlerts: await timeIt(async () => {
            await q.alerts();
            return q.alertsPage2();
          }, 20),
          card100: await timeIt(() => q.card(sample[c++ % sample.length]), 20),
          timeWindow1pctLimit1000: await timeIt(() => q.timeRange(since, until), 20),
          countAlertsIn1pctWindow: await timeIt(() => q.alertsInRangeCount(since, until), 10),
        };
        // Every store must return the same answers: the figures are for correct queries.
        r.answers = { alerts: await q.alerts(), page2: await q.alertsPage2(), card: await q.card(sample[0]), window: await q.timeRange(since, until), alertsInWindow: await q.alertsInRangeCount(since, until) };
      }
      store.close(handle);
      results.push(r);
      console.log(JSON.stringify(r));
    }
  }
  // The decision id is derived from the transaction id on read by every store (none stores it): its cost per row.
  const t = performance.now();
  for (let i = 0; i < 100_000; i++) decisionIdOf(rows.txId[i]);
  results.push({ name: 'decision id (SHA-256 of prefix + transaction id), per row read', nsPerRecord: ((performance.now() - t) * 1e6) / 100_000 });
  // Card references: SipHash-2-4 per card key (cache bypassed: every key new) against one Node HMAC-SHA256 per card.
  const sip = new CardRefHasher(Buffer.alloc(32, 2), 1);
  const o = new Uint32Array(2);
  let t1 = performance.now();
  for (let i = 0; i < 1_000_000; i++) sip.refOfKeyInto(i, i ^ 0x5bd1e995, o, 0);
  results.push({ name: 'card reference, SipHash-2-4 (CardRefHasher, cache missed)', nsPerRecord: ((performance.now() - t1) * 1e6) / 1_000_000 });
  const key = Buffer.alloc(8);
  const secret = Buffer.alloc(32, 2);
  t1 = performance.now();
  for (let i = 0; i < 200_000; i++) {
    key.writeUInt32LE(i, 0);
    createHmac('sha256', secret).update(key).digest();
  }
  results.push({ name: 'card reference peer: one HMAC-SHA256 per card (node:crypto)', nsPerRecord: ((performance.now() - t1) * 1e6) / 200_000 });
  rmSync(root, { recursive: true, force: true });
  return results;
}
