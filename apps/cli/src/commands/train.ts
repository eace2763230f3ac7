import { writeFile } from 'node:fs/promises';
import { scorerDefaults } from '@fraudstream/scorer';
import { date, num, parse, required } from '../args.js';
import { trainFromCsv } from '../train-model.js';

export const help = `Usage: fraudstream train --data FILE.csv --out MODEL.json [options]

Trains a gradient-boosted tree model on labelled transactions (CSV interchange format). Features come from the
scorer's own Rust code, replaying the file in event time with labels revealed only after --label-delay-days, so
training and serving compute identical features. Writes XGBoost JSON, which 'start --model' and XGBoost load.

Options:
  --data FILE              labelled transactions (required)
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
  });
  if (a.help === true) {
    process.stdout.write(help);
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
    labelDelayDays: num(a['label-delay-days'], 'label-delay-days', 0, scorerDefaults.labelDelayDaysMax, scorerDefaults.labelDelayDays),
    trees: num(a.trees, 'trees', 1, 5000, 100),
    maxDepth: num(a['max-depth'], 'max-depth', 1, 16, 6),
    learningRate: num(a['learning-rate'], 'learning-rate', 0.001, 1, 0.1, false),
    minChildWeight: num(a['min-child-weight'], 'min-child-weight', 0, 1000, 1, false),
    bins: num(a.bins, 'bins', 2, 4096, 256),
    seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
  });
  await writeFile(out, r.modelJson);
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  process.stdout.write(
    `trained on ${r.rows} transactions (${r.frauds} fraud) from ${day(r.fromMs)} to ${day(r.toMs)}` +
      `${r.rejected > 0 ? `, ${r.rejected} bad rows skipped` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${out}\n`,
  );
  return 0;
}
