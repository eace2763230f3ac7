import { scorerDefaults } from '@fraudstream/scorer';
import { date, num, parse, required, UsageError } from '../args.js';
import { exportFeatures } from '../export-features.js';

export const help = `Usage: fraudstream export-features --data FILE.csv --out DIR [options]

Writes the scorer's own features of labelled transactions (CSV interchange format) so data scientists train with
XGBoost or LightGBM on exactly the serving features. The features come from the scorer's Rust code replaying the file
in event time, labels revealed only after --label-delay-days (as 'train' and 'backtest' compute them).

Writes DIR/features.csv (or with --format parquet DIR/features.parquet, typed columns: features FLOAT, missing NULL): transaction_id, day (UTC days from the first transaction's day), timestamp_ms, the
scorer's features in vector order (empty = missing), label (TX_FRAUD), scenario (TX_FRAUD_SCENARIO); and
DIR/meta.json: the feature set version a bundle must name, the columns, row and fraud counts. A model trained on
the feature columns (names kept) loads with 'start --model' or in a bundle: XGBoost JSON or LightGBM text.

Options:
  --data FILE              labelled transactions (required)
  --out DIR                directory to write (required; created if missing)
  --from DATE              first day exported, YYYY-MM-DD (default: the first transaction's day)
  --days N                 days exported (default: to the end of the file)
  --format csv|parquet     file format (default csv; parquet is written by DuckDB)
  --label-delay-days N     label delay assumed by the terminal-risk features (default ${scorerDefaults.labelDelayDays}, at most ${scorerDefaults.labelDelayDaysMax})
`;

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    data: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    days: { type: 'string' },
    'label-delay-days': { type: 'string' },
    format: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const format = a.format ?? 'csv';
  if (format !== 'csv' && format !== 'parquet') throw new UsageError(`--format must be csv or parquet, got ${String(format)}`);
  const fromMs = date(a.from, 'from');
  const days = a.days === undefined ? undefined : num(a.days, 'days', 1, 3660, 0);
  const r = await exportFeatures({
    data: required(a.data, 'data'),
    out: required(a.out, 'out'),
    labelDelayDays: num(a['label-delay-days'], 'label-delay-days', 0, scorerDefaults.labelDelayDaysMax, scorerDefaults.labelDelayDays),
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(days === undefined ? {} : { days }),
    format,
  });
  process.stdout.write(`wrote ${r.rows} rows (${r.frauds} fraud) to ${r.featuresFile}, meta in ${r.metaJson}\n`);
  return 0;
}
