import { generateCsv } from '@fraudstream/sources';
import { date, num, parse, required, UsageError } from '../args.js';

export const help = `Usage: fraudstream generate --out FILE.csv [options]

Writes labelled transactions from the Fraud Detection Handbook's simulator in the CSV interchange format
(TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_TIME_SECONDS, TX_TIME_DAYS, TX_FRAUD,
TX_FRAUD_SCENARIO, then MCC, CHANNEL, CARD_PRESENT, COUNTRY, LAT, LON). Fraud scenarios: 1 amount above 220,
2 compromised terminal, 3 compromised card (the handbook's), 4 card testing, 5 impossible travel, 6 account
takeover. The same options and seed always give the same bytes.

Options:
  --out FILE         output CSV file (required)
  --customers N      customers (cards), default 5000
  --terminals N      terminals, default 10000
  --days N           days simulated, default 183
  --start DATE       first day, YYYY-MM-DD, default 2018-04-01
  --seed N           random seed, default 0
  --scenarios S      all (default) or handbook: only the handbook's scenarios 1-3 and its nine columns
`;

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    out: { type: 'string' },
    customers: { type: 'string' },
    terminals: { type: 'string' },
    days: { type: 'string' },
    start: { type: 'string' },
    seed: { type: 'string' },
    scenarios: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const out = required(a.out, 'out');
  date(a.start, 'start');
  const options = {
    customers: num(a.customers, 'customers', 1, 10_000_000, 5000),
    terminals: num(a.terminals, 'terminals', 1, 10_000_000, 10_000),
    days: num(a.days, 'days', 1, 3660, 183),
    start: typeof a.start === 'string' ? a.start : '2018-04-01',
    seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
    scenarios: scenarios(a.scenarios),
  };
  const t0 = performance.now();
  const r = await generateCsv(options, out);
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(
    `wrote ${r.rows} transactions (${r.frauds} fraud, ${((100 * r.frauds) / Math.max(1, r.rows)).toFixed(2)}%) to ${out} in ${s.toFixed(1)} s\n`,
  );
  return 0;
}

function scenarios(v: unknown): 'all' | 'handbook' {
  if (v === undefined) return 'all';
  if (v === 'all' || v === 'handbook') return v;
  throw new UsageError('--scenarios must be all or handbook');
}
