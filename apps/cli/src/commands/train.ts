import { readFile, writeFile } from 'node:fs/promises';
import { scorerDefaults } from '@fraudstream/scorer';
import { defaultDataDir } from '@fraudstream/store';
import { date, num, parse, required, UsageError } from '../args.js';
import { trainFromLog } from '../train-from-log.js';
import { trainFromCsv } from '../train-model.js';

export const help = `Usage: fraudstream train --data FILE.csv --out MODEL.json [options]
       fraudstream train --from-log [--data-dir DIR] --out BUNDLE.json [--since DATE --until DATE --bundle LIVE.json]

Trains a gradient-boosted tree model on labelled transactions (CSV interchange format). Features come from the
scorer's own Rust code, replaying the file in event time with labels revealed only after --label-delay-days, so
training and serving compute identical features. Writes XGBoost JSON, which 'start --model' and XGBoost load.

With --from-log it trains on what 'start' served and received in a data dir instead: the feature vectors the
scorer logged (every alert, a sample of approvals weighted by 1 / its rate: start --feature-log-sample) joined with
the labels received (the label log: the stream's fraud labels) and the analysts' verdicts (the case store). A transaction without a fraud label more
than --label-delay-days (event time) before the newest served one counts genuine, as in the Fraud Detection
Handbook's protocol; newer unlabelled ones are left out. Writes a sealed decision bundle (the model plus the
thresholds, rules and lists of --bundle, the live bundle) that 'start --bundle' loads.

Options:
  --data FILE              labelled transactions (required without --from-log)
  --from-log               train from the data dir's served-feature and label logs; --out is a bundle
  --data-dir DIR           with --from-log: the data dir of 'start' (default \$XDG_DATA_HOME/fraudstream)
  --since DATE, --until DATE   with --from-log: event-time window [since, until), YYYY-MM-DD or ISO date-time
  --bundle FILE            with --from-log: the live bundle whose thresholds, rules and lists the new one keeps
  --name NAME              with --from-log: the new bundle's name (default from-log)
  --db URL                 with --from-log: the case store's postgres:// URL, when the cases are not in the data
                           dir (analysts' verdicts are read from the case store and win over other labels)
  --out FILE               model file to write (required)
  --from DATE              first day of the training window, YYYY-MM-DD (default: 30 days after the first
                           transaction, so every 30-day feature window is full)
  --days N                 days in the training window (default: to the end of the file)
  --label-delay-days N     label delay assumed by the terminal-risk features (default ${scorerDefaults.labelDelayDays}, at most ${scorerDefaults.labelDelayDaysMax})
  --trees N                boosting rounds (default 100)
  --max-depth N            tree depth (default 6)
  --learning-rate X        shrinkage (default 0.1)
  --min-child-weight X     minimum hessian sum per child (default 1)
  --bins N                 histogram bins per feature (default 256)
  --seed N                 random seed (default 0)
`;

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    data: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    days: { type: 'string' },
    'label-delay-days': { type: 'string' },
    trees: { type: 'string' },
    'max-depth': { type: 'string' },
    'learning-rate': { type: 'string' },
    'min-child-weight': { type: 'string' },
    bins: { type: 'string' },
    seed: { type: 'string' },
    'from-log': { type: 'boolean' },
    'data-dir': { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    bundle: { type: 'string' },
    name: { type: 'string' },
    db: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const params = {
    trees: num(a.trees, 'trees', 1, 5000, 100),
    maxDepth: num(a['max-depth'], 'max-depth', 1, 16, 6),
    learningRate: num(a['learning-rate'], 'learning-rate', 0.001, 1, 0.1, false),
    minChildWeight: num(a['min-child-weight'], 'min-child-weight', 0, 1000, 1, false),
    bins: num(a.bins, 'bins', 2, 4096, 256),
    seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
  };
  const labelDelayDays = num(a['label-delay-days'], 'label-delay-days', 0, scorerDefaults.labelDelayDaysMax, scorerDefaults.labelDelayDays);
  if (a['from-log'] === true && a.data !== undefined) throw new UsageError('--data and --from-log exclude each other: train from a file or from a data dir');
  for (const flag of ['data-dir', 'since', 'until', 'bundle', 'name', 'db'] as const) {
    if (a['from-log'] !== true && a[flag] !== undefined) throw new UsageError(`--${flag} needs --from-log`);
  }
  if (a['from-log'] === true) {
    const out = required(a.out, 'out');
    const dataDir = typeof a['data-dir'] === 'string' ? a['data-dir'] : defaultDataDir();
    const sinceMs = instant(a.since, 'since');
    const untilMs = instant(a.until, 'until');
    const t0 = performance.now();
    const r = await trainFromLog({
      dataDir,
      ...(sinceMs === undefined ? {} : { sinceMs }),
      ...(untilMs === undefined ? {} : { untilMs }),
      labelDelayDays,
      params,
      ...(typeof a.bundle === 'string' ? { baseBundle: await readFile(a.bundle, 'utf8') } : {}),
      ...(typeof a.name === 'string' ? { name: a.name } : {}),
      ...(typeof a.db === 'string' ? { db: a.db } : {}),
    });
    await writeFile(out, r.bundleJson);
    process.stdout.write(
      `trained on ${r.rows} served transactions (${r.frauds} fraud; ${r.labelled} labelled, ${r.genuineByDelay} genuine by the label delay, ` +
        `${r.unknown} too recent left out; ${r.verdicts} analyst verdicts) in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote bundle ${r.version} to ${out}\n`,
    );
    return 0;
  }
  const data = required(a.data, 'data');
  const out = required(a.out, 'out');
  const fromMs = date(a.from, 'from');
  const days = a.days === undefined ? undefined : num(a.days, 'days', 1, 3660, 0);
  const t0 = performance.now();
  const r = await trainFromCsv({
    data,
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(days === undefined ? {} : { days }),
    labelDelayDays,
    ...params,
  });
  await writeFile(out, r.modelJson);
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  process.stdout.write(
    `trained on ${r.rows} transactions (${r.frauds} fraud) from ${day(r.fromMs)} to ${day(r.toMs)}` +
      `${r.rejected > 0 ? `, ${r.rejected} bad rows skipped` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${out}\n`,
  );
  return 0;
}

/** A --since/--until value: YYYY-MM-DD (UTC midnight) or an ISO date-time; undefined when absent. */
function instant(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v) : Number.NaN;
  if (Number.isNaN(ms)) throw new TypeError(`--${name} must be a date YYYY-MM-DD or an ISO date-time, got ${String(v)}`);
  return ms;
}
