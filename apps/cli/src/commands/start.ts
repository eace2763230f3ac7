import { spawn } from 'node:child_process';
import { scorerDefaults } from '@fraudstream/scorer';
import { installSignalHandlers, startServer } from '@fraudstream/server';
import { defaultDataDir } from '@fraudstream/store';
import { createSystem, DEFAULT_CHECKPOINT_INTERVAL_MS } from '@fraudstream/system';
import { num, parse, UsageError } from '../args.js';
import * as startKafka from './start-kafka.js';

export const help = `Usage: fraudstream start [options]

Starts the whole system: a source, the engine (ring, micro-batcher, worker pool, Rust scorer) and the server
with the dashboard, the REST API and the WebSocket stream. Stops gracefully on Ctrl-C (in-flight batches drain).

Options:
  --host HOST          address to bind (default 127.0.0.1, or env HOST); a non-loopback address needs --token
  --port N             port (default 8080, or env PORT; 0 picks a free port)
  --token TOKEN        bearer token required by mutating endpoints (or env FRAUDSTREAM_TOKEN)
  --source SRC         generator (default), replay:FILE.csv, or kafka (see 'fraudstream start --source kafka --help')
  --tps N              generator / replay rate, transactions per second (default 1000; replay also accepts max)
  --workers N          scoring worker threads (default: one per core)
  --model FILE         XGBoost JSON or LightGBM text model (default: models/default.json)
  --bundle FILE        decision bundle (JSON: model, thresholds, rules, lists) made live over --model/--review/--decline
  --rules FILE         rules file (docs/rules.md) made live at start and again each time the file is saved
  --seed N             generator seed (default 0)
  --review X           score at or above which a transaction is REVIEWed (default \${scorerDefaults.thresholds.review})
  --decline X          score at or above which it is DECLINEd (default \${scorerDefaults.thresholds.decline}; review <= decline)
  --data-dir DIR       where decisions and checkpoints are kept (default \$XDG_DATA_HOME/fraudstream or
                       ~/.local/share/fraudstream): every decision goes to the decision log, an aligned checkpoint
                       (scorer state, source position, log position) is taken every --checkpoint-interval, and a start
                       on an existing data dir resumes from its newest checkpoint (see 'fraudstream decisions')
  --checkpoint-interval S   seconds between checkpoints (default ${DEFAULT_CHECKPOINT_INTERVAL_MS / 1000}; 0.05 to 86400)
  --ephemeral          keep nothing on disk (no decision log, no checkpoints, no recovery, no cases); alias --no-data-dir
  --db URL             postgres://USER:PASS@HOST:PORT/DB[?schema=NAME]: keep the cases in PostgreSQL instead of
                       DATA_DIR/cases.sqlite (the card-reference secret stays in the data dir)
  --no-cases           open no cases for REVIEW and DECLINE decisions (they are opened by default in the data dir)
  --no-start           serve, but leave the source stopped until POST /api/system/start
  --open               open the dashboard in a browser (xdg-open) if one is available
`;

export async function run(argv: string[]): Promise<number> {
  const i = argv.findIndex((x) => x === '--source' || x === '--source=kafka');
  if (i >= 0 && (argv[i] === '--source=kafka' || argv[i + 1] === 'kafka')) return startKafka.run(argv);
  const a = parse(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    source: { type: 'string' },
    tps: { type: 'string' },
    workers: { type: 'string' },
    model: { type: 'string' },
    bundle: { type: 'string' },
    rules: { type: 'string' },
    seed: { type: 'string' },
    review: { type: 'string' },
    decline: { type: 'string' },
    db: { type: 'string' },
    'no-cases': { type: 'boolean' },
    'no-start': { type: 'boolean' },
    'data-dir': { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    ephemeral: { type: 'boolean' },
    'no-data-dir': { type: 'boolean' },
    open: { type: 'boolean' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const host = typeof a.host === 'string' ? a.host : (process.env.HOST ?? '127.0.0.1');
  const port = num(a.port ?? process.env.PORT, 'port', 0, 65535, 8080);
  const token = typeof a.token === 'string' ? a.token : process.env.FRAUDSTREAM_TOKEN;
  const sourceArg = typeof a.source === 'string' ? a.source : 'generator';
  let source;
  if (sourceArg === 'generator') {
    source = { kind: 'generator' as const, tps: num(a.tps, 'tps', 1, 5_000_000, 1000), seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0) };
  } else if (sourceArg.startsWith('replay:') && sourceArg.length > 7) {
    const tps = a.tps === 'max' ? ('max' as const) : num(a.tps, 'tps', 1, 5_000_000, 1000);
    source = { kind: 'replay' as const, path: sourceArg.slice(7), tps };
  } else {
    throw new UsageError('--source must be generator or replay:FILE.csv');
  }
  const workers = a.workers === undefined ? undefined : num(a.workers, 'workers', 1, 64, 1);
  const d = scorerDefaults.thresholds;
  const thresholds = { review: num(a.review, 'review', 0, 1, d.review, false), decline: num(a.decline, 'decline', 0, 1, d.decline, false) };
  if (thresholds.review > thresholds.decline) throw new UsageError('--review must not be above --decline');
  const ephemeral = a.ephemeral === true || a['no-data-dir'] === true;
  if (ephemeral && (a['data-dir'] !== undefined || a['checkpoint-interval'] !== undefined)) {
    throw new UsageError('--ephemeral (--no-data-dir) cannot be combined with --data-dir or --checkpoint-interval');
  }
  if (a['data-dir'] === '') throw new UsageError('--data-dir must not be empty');
  const dataDir = typeof a['data-dir'] === 'string' ? a['data-dir'] : defaultDataDir();
  const intervalS = num(a['checkpoint-interval'], 'checkpoint-interval', 0.05, 86_400, DEFAULT_CHECKPOINT_INTERVAL_MS / 1000, false);
  // Cases live in the data dir (or PostgreSQL with --db, the secret still in the data dir): none when ephemeral.
  const cases = !ephemeral && a['no-cases'] !== true;
  const db = typeof a.db === 'string' ? a.db : undefined;
  if (db !== undefined && !/^postgres(ql)?:\/\//.test(db)) throw new UsageError('--db must be a postgres:// URL');
  if (db !== undefined && !cases) throw new UsageError('--db needs cases: not with --ephemeral or --no-cases');
  const system = await createSystem({
    ...(ephemeral ? {} : { durability: { dataDir, checkpointIntervalMs: Math.round(intervalS * 1000) } }),
    source,
    ...(cases ? { dataDir } : {}),
    ...(db === undefined ? {} : { db }),
    ...(workers === undefined ? {} : { workers }),
    thresholds,
    ...(typeof a.model === 'string' ? { modelPath: a.model } : {}),
    ...(typeof a.bundle === 'string' ? { bundlePath: a.bundle } : {}),
    ...(typeof a.rules === 'string' ? { rulesPath: a.rules } : {}),
    autoStart: a['no-start'] !== true,
  });
  let server;
  try {
    server = await startServer({ system, host, port, ...(token === undefined ? {} : { token }) });
  } catch (err) {
    // The worker pool would keep the process alive after the error: shut the system down first.
    await system.close();
    throw err;
  }
  installSignalHandlers(server);
  const durability = system.durability;
  if (durability !== undefined) {
    const d = durability.stats();
    const r = d.recovered;
    process.stdout.write(
      r === undefined || r.checkpoint === 0
        ? `fraudstream data dir ${d.dataDir}: ${r === undefined ? 'new' : `no checkpoint yet, ${r.droppedDecisions} decisions of an earlier run dropped and made again`}\n`
        : `fraudstream data dir ${d.dataDir}: recovered from checkpoint ${r.checkpoint} (${r.transactions} transactions, ${r.logRecords} decisions kept, ${r.droppedDecisions} after it dropped and made again)\n`,
    );
    // After a disk failure the source is stopped; once space is back, exit so a restart recovers from the checkpoint.
    durability.onSpaceBack = () => {
      void server.close().finally(() => process.exit(75));
    };
  }
  const url = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}/`;
  process.stdout.write(`fraudstream listening on ${url} (dashboard), stats at ${url}api/stats; Ctrl-C to stop\n`);
  if (a.open === true) openBrowser(url);
  return -1;
}

/** Best effort: a headless machine has no browser, and that is fine (the URL is printed). */
function openBrowser(url: string): void {
  try {
    const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener installed: the printed URL is enough.
  }
}
