import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stats } from '@fraudstream/system';
import { cli, cliServe } from './utils/cli.js';
import { until } from './utils/poll.js';

// `fraudstream start --data-dir` as a real process, killed with SIGKILL while it opens cases and started again on
// the same data dir and file: every alert ends with exactly one case. The restart resumes from the last checkpoint
// (each one waits until the cases before it are durable) and decides the rest again; cases are idempotent by
// decision id, so the alerts decided again open nothing twice.

const dir = mkdtempSync(join(tmpdir(), 'fraudstream-cases-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 10_000;
function replayFile(): string {
  const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO'];
  for (let k = 0; k < N; k++) {
    const t = new Date(Date.UTC(2018, 3, 1) + k * 1000).toISOString().slice(0, 19).replace('T', ' ');
    lines.push(`${k % 4 === 0 ? `tx-${k}` : k},${t},${k % 300},${k % 50},${(5 + (k % 200)).toFixed(2)},0,0`);
  }
  const path = join(dir, 'tx.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function start(file: string, tps: string): Promise<{ base: string; stop: (signal: NodeJS.Signals) => Promise<void> }> {
  // --review 0: every transaction is an alert, so the expected cases are exactly the file's transactions.
  const args = ['start', '--source', `replay:${file}`, '--tps', tps, '--data-dir', join(dir, 'data'), '--port', '0', '--review', '0', '--workers', '1'];
  const { child, match } = await cliServe(args, /listening on (http:\/\/127\.0\.0\.1:\d+\/)/);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    base: match[1] as string,
    stop: async (signal) => {
      child.kill(signal);
      await exited;
    },
  };
}
const stats = async (base: string): Promise<Stats> => (await (await fetch(`${base}api/stats`)).json()) as Stats;

describe('cases across a SIGKILL', () => {
  it('end with exactly one case per alert after a kill -9 and a restart', async () => {
    const file = replayFile();
    // Paced, so that the kill lands part-way; the restart runs as fast as it can.
    const first = await start(file, '4000');
    await until(async () => ((await stats(first.base)).cases?.opened ?? 0) > 2000 ? true : undefined, 60_000);
    await first.stop('SIGKILL');

    const second = await start(file, 'max');
    try {
      // The restart resumes from the data dir's last checkpoint (or the file's start) and runs to the end.
      const end = await until(async () => {
        const s = await stats(second.base);
        return s.source.state === 'ended' && s.counts.inFlight === 0 && s.cases?.queue === 0 ? s : undefined;
      }, 120_000);
      // Part of the cases came from the killed process, and none was opened twice.
      expect(end.cases!.opened).toBeLessThan(N);
      const ids: string[] = [];
      let next: string | null = null;
      do {
        const page = (await (await fetch(`${second.base}api/cases?limit=500${next === null ? '' : `&before=${next}`}`)).json()) as { cases: { transactionId: string }[]; next: string | null };
        ids.push(...page.cases.map((c) => c.transactionId));
        next = page.next;
      } while (next !== null);
      expect(ids).toHaveLength(N);
      expect(new Set(ids).size).toBe(N);
    } finally {
      await second.stop('SIGTERM');
    }
  }, 240_000);
});

describe('start --db', () => {
  it('refuses a URL that is not postgres:// and --db without cases, naming the flag (exit 2)', () => {
    const bad = cli(['start', '--data-dir', join(dir, 'x'), '--db', 'mysql://u@h/db', '--port', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--db must be a postgres:// URL');
    const alone = cli(['start', '--ephemeral', '--db', 'postgres://u@127.0.0.1/db', '--port', '0']);
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain('--db needs cases');
  });
});
