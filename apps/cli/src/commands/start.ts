import { spawn } from 'node:child_process';
import { scorerDefaults } from '@fraudstream/scorer';
import { createLogger } from '@fraudstream/server';
import { defaultDataDir } from '@fraudstream/store';
import { createSystem, DEFAULT_CHECKPOINT_INTERVAL_MS } from '@fraudstream/system';
import { parse, UsageError } from '../args.js';

import { SETTINGS } from '../config-schema.js';
import * as startKafka from './start-kafka.js';
import { serve, settingsOf } from './start-settings.js';

export const help = `Usage: fraudstream start [--config FILE] [options]

Starts the whole system: a source, the engine (ring, micro-batcher, worker pool, Rust scorer) and the server
with the dashboard, the REST API, /metrics and the WebSocket stream. Stops gracefully on Ctrl-C (in-flight batches
drain). Logs are JSON lines on stdout.

Every setting can come from a flag, an environment variable or the TOML file given by --config; precedence is
flags > environment > file > defaults. 'fraudstream config --help' lists every key; 'fraudstream config check FILE'
validates a file.

Options:
  --config FILE        TOML config file
  --host HOST          address to bind (default 127.0.0.1; env FRAUDSTREAM_HOST or HOST); non-loopback needs a token
  --port N             port (default 8080; env FRAUDSTREAM_PORT or PORT; 0 picks a free port)
  --token TOKEN        bearer token for POST routes, /metrics and /ws (prefer env FRAUDSTREAM_TOKEN or --token-file:
                       argv is visible to every user of the machine)
  --token-file FILE    read the token from the first line of FILE (env FRAUDSTREAM_TOKEN_FILE)
  --source SRC         generator (default), replay:FILE.csv, or kafka (see 'fraudstream start --source kafka --help'
                       for its flags and the [kafka] keys; it reads --config and the environment like this mode)
  --tps N              generator / replay rate, transactions per second (default 1000; replay also accepts max)
  --workers N          scoring worker threads (default: one per core)
  --model FILE         XGBoost JSON or LightGBM text model (default: models/default.json)
  --bundle FILE        decision bundle (JSON: model, thresholds, rules, lists) made live over --model/--review/--decline
  --challenger FILE    decision bundle scored in shadow beside the live one (compared in the dashboard, never acted on)
  --rules FILE         rules file (docs/rules.md) made live at start and again each time the file is saved
  --seed N             generator seed (default 0)
  --review X           score at or above which a transaction is REVIEWed (default ${scorerDefaults.thresholds.review})
  --decline X          score at or above which it is DECLINEd (default ${scorerDefaults.thresholds.decline}; review <= decline)
  --data-dir DIR       where decisions and checkpoints are kept (default \$XDG_DATA_HOME/fraudstream or
                       ~/.local/share/fraudstream): every decision goes to the decision log, an aligned checkpoint
                       (scorer state, source position, log position) is taken every --checkpoint-interval, and a start
                       on an existing data dir resumes from its newest checkpoint (see 'fraudstream decisions'); it
                       also holds the card-reference secret (card-ref.key, mode 0600) unless one is configured
  --feature-log-sample R    share of approvals whose served feature vectors go to the feature log in the data
                       dir for 'train --from-log' (default 0.02; every alert is logged; 0 to 1)
  --label-log fraud|all     labels from the stream kept in the label log: the fraud labels (default; an unlabelled
                       transaction counts genuine after the label delay) or every one
  --checkpoint-interval S   seconds between checkpoints (default ${DEFAULT_CHECKPOINT_INTERVAL_MS / 1000}; 0.05 to 86400)
  --ephemeral          keep nothing on disk (no decision log, no checkpoints, no recovery, no cases); alias --no-data-dir
  --db URL             postgres://USER:PASS@HOST:PORT/DB[?schema=NAME]: keep the cases in PostgreSQL instead of
                       DATA_DIR/cases.sqlite (the card-reference secret stays in the data dir)
  --no-cases           open no cases for REVIEW and DECLINE decisions (they are opened by default in the data dir)
  --log-level LEVEL    fatal, error, warn, info (default), debug, trace or silent
  --max-ws-clients N   most WebSocket clients at once (default 64)
  --webhook URL        POST alerts to URL as Slack-compatible JSON (see the --webhook-* keys in config --help)
  --score-batch N      most POST /v1/score requests cut into one micro-batch (default 256; 1 to 8192)
  --score-linger-us N  how long the first request of a micro-batch waits for others, microseconds (default 0: the
                       batch is cut at the end of the event-loop turn that read it)
  --score-deadline-ms N   /v1/score deadline (default 50): past it the fallback REVIEW with reason DEADLINE is
                       answered and counted as a deadline miss, never as a decision (0: always the fallback)
  --score-inline-max N    largest micro-batch scored on the main thread when no batch is in flight (default 64;
                       0: always a worker thread); counted in the stats as batches.inline
  --bulk-max-bytes N   largest POST /v1/transactions body in bytes (default 67108864)
  --bulk-max-lines N   most lines in one POST /v1/transactions body (default 1000000)
  --no-start           serve, but leave the source stopped until POST /api/system/start
  --open               open the dashboard in a browser (xdg-open) if one is available
`;

/** The `start` flags, from the one schema (a flag takes a value unless its setting says it is a switch). */
function flagOptions(): Record<string, { type: 'string' | 'boolean' }> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, open: { type: 'boolean' } };
  for (const s of SETTINGS) {
    for (const flag of [s.flag, ...(s.flagAliases ?? [])]) {
      if (flag !== undefined) options[flag] = { type: s.switchValue === undefined ? 'string' : 'boolean' };
    }
  }
  return options;
}

/** Runs `start`. */
export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, flagOptions());
  if (a.help === true) {
    process.stdout.write(a.source === 'kafka' ? startKafka.help : help);
    return 0;
  }
  const settings = settingsOf(a as Record<string, string | boolean | undefined>, process.env);
  // The Kafka mode reads the same settings (flags, environment, --config) and its own kafka.* keys.
  if (settings.get('source.from')?.value === 'kafka') return startKafka.run(settings);
  const get = <T>(key: string): T | undefined => settings.get(key)?.value as T | undefined;

  const logger = createLogger({ level: get<'info'>('log.level') ?? 'info' });

  const from = get<string>('source.from') ?? 'generator';
  const tps = get<number | 'max'>('source.tps') ?? 1000;
  const source =
    from === 'generator'
      ? { kind: 'generator' as const, tps: tps as number, seed: get<number>('source.seed') ?? 0 }
      : { kind: 'replay' as const, path: from.slice('replay:'.length), tps };
  const d = scorerDefaults.thresholds;
  const thresholds = { review: get<number>('engine.review') ?? d.review, decline: get<number>('engine.decline') ?? d.decline };
  if (thresholds.review > thresholds.decline) throw new Error('engine.review must not be above engine.decline (with the defaults)');
  // Without a configured secret, the durable mode uses the data dir's card-ref.key (the engine's feed and the
  // decision log alike); an ephemeral run keys references per run.
  const configuredSecret = get<string>('security.card_ref_secret');
  const cardRefSecret = configuredSecret === undefined ? undefined : Buffer.from(configuredSecret, 'hex');
  const ephemeral = get<boolean>('data.ephemeral') === true;
  const dataDirSetting = settings.get('data.dir');
  const intervalSetting = settings.get('data.checkpoint_interval_s');
  if (ephemeral && (dataDirSetting !== undefined || intervalSetting?.origin !== 'default')) {
    throw new UsageError('--ephemeral (--no-data-dir) cannot be combined with --data-dir or --checkpoint-interval');
  }
  const dataDir = get<string>('data.dir') ?? defaultDataDir();
  const intervalS = get<number>('data.checkpoint_interval_s') ?? DEFAULT_CHECKPOINT_INTERVAL_MS / 1000;
  const workers = get<number>('engine.workers');
  const model = get<string>('engine.model');
  const bundle = get<string>('engine.bundle');
  const challenger = get<string>('engine.challenger');
  const rules = get<string>('engine.rules');
  // Cases live in the data dir (or PostgreSQL with --db, the secret still in the data dir): none when ephemeral.
  const cases = !ephemeral && get<boolean>('cases.enabled') !== false;
  const db = get<string>('cases.db');
  if (db !== undefined && !cases) throw new UsageError('--db needs cases: not with --ephemeral or --no-cases');
  const system = await createSystem({
    ...(ephemeral ? {} : { durability: { dataDir, checkpointIntervalMs: Math.round(intervalS * 1000), featureLogSample: get<number>('data.feature_log_sample') ?? 0.02, labelLog: get<'fraud' | 'all'>('data.label_log') ?? 'fraud' } }),
    source,
    ...(cases ? { dataDir } : {}),
    ...(db === undefined ? {} : { db }),
    ...(workers === undefined ? {} : { workers }),
    thresholds,
    ...(model === undefined ? {} : { modelPath: model }),
    ...(bundle === undefined ? {} : { bundlePath: bundle }),
    ...(challenger === undefined ? {} : { challengerPath: challenger }),
    ...(rules === undefined ? {} : { rulesPath: rules }),
    ...(cardRefSecret === undefined ? {} : { cardRefSecret }),
    autoStart: get<boolean>('source.autostart') ?? true,
  });
  const { server, url, origins } = await serve(system, settings, logger);
  const durability = system.durability;
  if (durability !== undefined) {
    const d = durability.stats();
    const r = d.recovered;
    logger.info(
      { dataDir: d.dataDir, recovered: r ?? null },
      r === undefined || r.checkpoint === 0
        ? `fraudstream data dir ${d.dataDir}: ${r === undefined ? 'new' : `no checkpoint yet, ${r.droppedDecisions} decisions of an earlier run dropped and made again`}`
        : `fraudstream data dir ${d.dataDir}: recovered from checkpoint ${r.checkpoint} (${r.transactions} transactions, ${r.logRecords} decisions kept, ${r.droppedDecisions} after it dropped and made again)`,
    );
    // After a disk failure the source is stopped; once space is back, exit so a restart recovers from the checkpoint.
    durability.onSpaceBack = () => {
      void server.close().finally(() => logger.flush(() => process.exit(75)));
    };
  }
  logger.info(
    { url, port: server.port, source: source.kind, durable: !ephemeral, cardRefKey: cardRefSecret !== undefined ? 'configured' : ephemeral ? 'per-run' : 'data dir', settingsFrom: origins },
    `fraudstream listening on ${url} (dashboard), stats at ${url}api/stats, metrics at ${url}metrics; Ctrl-C to stop`,
  );
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
