/**
 * Robust evaluation: the backtest protocol rolled over consecutive test weeks and over several datasets (files, or
 * datasets generated from seeds), with the mean and standard deviation of every figure, overall and per scenario.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCsv } from '@fraudstream/sources';
import { backtest, prepare, type BacktestOptions, type BacktestResult } from './backtest.js';

const DAY_MS = 86_400_000;

/** Options of {@link rollingBacktest}: the backtest's, for several files and weeks. */
export interface RollingOptions extends Omit<BacktestOptions, 'data' | 'prepared' | 'modelJson'> {
  /** Labelled CSV files (one dataset each). */
  files: string[];
  /** Consecutive test weeks: week w shifts the whole protocol (validation, training, delay, test) by w test windows. */
  weeks: number;
}

/** One backtest of a rolling run. */
export interface RollingRun {
  file: string;
  week: number;
  result: BacktestResult;
}

/** Mean and sample standard deviation (n - 1; 0 for one value) of a list, NaN values left out. */
export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

/** Summary of a set of runs. */
export interface RollingSummary {
  runs: number;
  aucRoc: MeanStd;
  averagePrecision: MeanStd;
  cardPrecisionAtK: MeanStd;
  /** False alerts per 1,000 transactions and the share of fraud amount caught, at the operating thresholds. */
  falseAlertsPer1000: MeanStd;
  caughtAmountShare: MeanStd;
  scenarios: { scenario: number; frauds: MeanStd; aucRoc: MeanStd; averagePrecision: MeanStd; recallAtTopN: MeanStd }[];
}

/** Mean and sample standard deviation of the finite values. */
export function meanStd(values: number[]): MeanStd {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

/** Summarises runs: every figure's mean and standard deviation, per scenario too. */
export function summarise(runs: RollingRun[]): RollingSummary {
  const pick = (f: (r: BacktestResult) => number): MeanStd => meanStd(runs.map((r) => f(r.result)));
  const scenarioIds = [...new Set(runs.flatMap((r) => r.result.scenarios.map((s) => s.scenario)))].sort((a, b) => a - b);
  return {
    runs: runs.length,
    aucRoc: pick((r) => r.metrics.aucRoc),
    averagePrecision: pick((r) => r.metrics.averagePrecision),
    cardPrecisionAtK: pick((r) => r.metrics.cardPrecisionAtK),
    falseAlertsPer1000: pick((r) => r.money.atDecisions.falseAlertsPer1000),
    caughtAmountShare: pick((r) => r.money.atDecisions.caughtAmount / r.money.atDecisions.fraudAmount),
    scenarios: scenarioIds.map((sc) => {
      const of = (f: (s: BacktestResult['scenarios'][number]) => number): MeanStd =>
        meanStd(runs.map((r) => r.result.scenarios.find((s) => s.scenario === sc)).filter((s) => s !== undefined).map(f));
      return {
        scenario: sc,
        frauds: of((s) => s.frauds),
        aucRoc: of((s) => s.aucRoc),
        averagePrecision: of((s) => s.averagePrecision),
        recallAtTopN: of((s) => s.recallAtTopN),
      };
    }),
  };
}

/**
 * Runs the backtest for every file and every week (each file read and featurised once). Every model choice is made
 * by each run's own prequential validation, on windows that end before that run's delay period.
 */
export async function rollingBacktest(o: RollingOptions): Promise<{ runs: RollingRun[]; byWeek: RollingSummary[]; all: RollingSummary }> {
  if (o.files.length === 0) throw new RangeError('files must list at least one file');
  if (!Number.isInteger(o.weeks) || o.weeks < 1) throw new RangeError('weeks must be a positive integer');
  const runs: RollingRun[] = [];
  for (const file of o.files) {
    const prepared = await prepare(file, o.delayDays);
    for (let week = 0; week < o.weeks; week++) {
      const trainStartMs = o.trainStartMs + week * o.testDays * DAY_MS;
      o.log?.(`${file}, week ${week + 1}: train from ${new Date(trainStartMs).toISOString().slice(0, 10)}`);
      const { result } = await backtest({ ...o, data: file, prepared, trainStartMs });
      runs.push({ file, week, result });
      o.log?.(`  ${runLine(result)}`);
    }
  }
  const byWeek: RollingSummary[] = [];
  for (let w = 0; w < o.weeks; w++) byWeek.push(summarise(runs.filter((r) => r.week === w)));
  return { runs, byWeek, all: summarise(runs) };
}

/** Generates the handbook-simulator datasets for `seeds` (defaults otherwise) into `dir`; returns their paths. */
export async function generateSeeds(seeds: number[], scenarios: 'all' | 'handbook', dir: string, log?: (line: string) => void): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const seed of seeds) {
    const path = join(dir, `${scenarios}-seed${seed}.csv`);
    const r = await generateCsv({ seed, scenarios }, path);
    log?.(`generated ${path}: ${r.rows} transactions, ${r.frauds} fraud (generate --scenarios ${scenarios} --seed ${seed})`);
    files.push(path);
  }
  return files;
}

/** One run as a line: test window, chosen model, figures. */
export function runLine(r: BacktestResult): string {
  const m = r.metrics;
  const chosen = r.model.params === undefined ? 'model file' : `train-days=${r.model.trainDays} trees=${r.model.params.trees} depth=${r.model.params.maxDepth}`;
  return (
    `test ${r.protocol.testStart}..${r.protocol.testEnd} (${chosen}): AUC ${m.aucRoc.toFixed(4)} AP ${m.averagePrecision.toFixed(4)} ` +
    `CP@${r.protocol.topK} ${m.cardPrecisionAtK.toFixed(4)}; ` +
    r.scenarios.map((s) => `s${s.scenario} AP ${s.averagePrecision.toFixed(3)}`).join(', ')
  );
}

const ms = (x: MeanStd, d = 4): string => `${x.mean.toFixed(d)} ± ${x.std.toFixed(d)}`;

/** A summary as text lines: overall, money, per scenario. */
export function summaryLines(title: string, s: RollingSummary): string[] {
  return [
    `${title} (${s.runs} runs, mean ± sample std): AUC ROC ${ms(s.aucRoc)}  AP ${ms(s.averagePrecision)}  CP@100 ${ms(s.cardPrecisionAtK)}`,
    `  money: fraud amount caught ${ms(s.caughtAmountShare, 3)}, false alerts per 1,000 tx ${ms(s.falseAlertsPer1000, 2)}`,
    ...s.scenarios.map(
      (c) =>
        `  scenario ${c.scenario}: ${c.frauds.mean.toFixed(0)} fraud/run, AUC ${ms(c.aucRoc)}, AP ${ms(c.averagePrecision)}, ` +
        `recall@top-N ${ms(c.recallAtTopN, 3)}`,
    ),
  ];
}
