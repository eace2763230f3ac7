import { spawn } from 'node:child_process';
import { scorerDefaults } from '@fraudstream/scorer';
import { installSignalHandlers, startServer } from '@fraudstream/server';
import { createSystem } from '@fraudstream/system';
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
  --model FILE         XGBoost JSON model (default: models/default.json)
  --seed N             generator seed (default 0)
  --review X           score at or above which a transaction is REVIEWed (default \${scorerDefaults.thresholds.review})
  --decline X          score at or above which it is DECLINEd (default \${scorerDefaults.thresholds.decline}; review <= decline)
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
    seed: { type: 'string' },
    review: { type: 'string' },
    decline: { type: 'string' },
    'no-start': { type: 'boolean' },
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
  const system = await createSystem({
    source,
    ...(workers === undefined ? {} : { workers }),
    thresholds,
    ...(typeof a.model === 'string' ? { modelPath: a.model } : {}),
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
