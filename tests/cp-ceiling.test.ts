import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../bench/model-quality/cp-ceiling.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cp-ceiling-'));
const HEAD = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO';

/** A data row on day `day` (days from 2018-04-01). */
function row(id: number, card: number, term: number, day: number, fraud: number, scenario: number): string {
  const date = new Date(Date.UTC(2018, 3, 1 + day, 12)).toISOString().slice(0, 19).replace('T', ' ');
  return [id, date, card, term, '10.00', day * 86_400 + 43_200, day, fraud, scenario].join(',');
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

describe('bench/model-quality/cp-ceiling.py', () => {
  // Training 2018-04-01 + 7 days, delay 7: test days 14..20. On day 14: card 1 has a scenario-3 fraud (reachable);
  // card 2 a scenario-2 fraud at terminal 50, whose compromise starts that day (unrevealed); card 3 is genuine;
  // card 4 a scenario-2 fraud at terminal 60, which had one on day 5 (its label arrived: reachable); card 5 had a
  // fraud on day 3, so it is known compromised on day 14 and left out.
  const data = join(dir, 'data.csv');
  writeFileSync(
    data,
    [
      HEAD,
      row(1, 5, 70, 3, 1, 3),
      row(2, 9, 60, 5, 1, 2),
      row(3, 1, 80, 14, 1, 3),
      row(4, 2, 50, 14, 1, 2),
      row(5, 3, 90, 14, 0, 0),
      row(6, 4, 60, 14, 1, 2),
      row(7, 5, 91, 14, 0, 0),
    ].join('\n') + '\n',
  );

  it('splits reachable from unrevealed frauded cards and computes the ceiling and the model figures', () => {
    const scores = join(dir, 'scores.csv');
    // The genuine card 3 ranks first and card 1's fraud last: all four evaluated cards are in the top 100 anyway.
    writeFileSync(scores, 'TRANSACTION_ID,score,decision,reasons\n3,0.1,APPROVE,\n4,0.2,APPROVE,\n5,0.9,REVIEW,\n6,0.5,REVIEW,\n7,0.8,REVIEW,\n');
    const r = run([data, '2018-04-01', scores]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const day14 = r.stdout.split('\n').find((l) => l.startsWith('2018-04-15'))!;
    // 3 fraud cards, 1 unrevealed, 2 reachable; ceiling (2 + 98 x 1/2) / 100; the model: 3 frauds of 100, 0 missed.
    expect(day14.trim().split(/\s+/)).toEqual(['2018-04-15', '3', '1', '2', '0.5100', '0.0300', '0']);
    expect(r.stdout).toContain(`mean: ceiling ${(0.51 / 7).toFixed(4)}, model CP@100 ${(0.03 / 7).toFixed(4)}`);
  });

  it('refuses a file without the scenario column, naming it, and a bad date', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD\n');
    const r = run([bad, '2018-04-01']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no TX_FRAUD_SCENARIO column');
    const d = run([data, '2018-13-01']);
    expect(d.status).not.toBe(0);
    expect(d.stderr).toContain("TRAIN_START: '2018-13-01' is not a YYYY-MM-DD date");
  });
});
