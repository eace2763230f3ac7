import { spawnSync, type ChildProcess } from 'node:child_process';
import { CLI, cliServe } from './cli.js';
import { until } from './poll.js';

/** What the crash tests read of `/api/stats`. */
export interface DurableStats {
  running: boolean;
  source: { state: string };
  counts: { decided: number; written: number };
  laws: { ok: boolean };
  durability?: {
    ok: boolean;
    reason?: string;
    restartToRecover?: boolean;
    logRecords: number;
    lastCheckpoint?: { id: number; transactions: number; logRecords: number; ended: boolean };
    recovered?: { checkpoint: number; transactions: number; logRecords: number; droppedDecisions: number };
  };
}

/** A running `fraudstream start` process on a free loopback port. */
export interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
  stats: () => Promise<DurableStats>;
}

/** Starts `fraudstream start --source replay:FILE --data-dir DIR` on port 0 with the given extra flags. */
export async function startReplay(file: string, dataDir: string, extra: string[]): Promise<Started> {
  const args = ['start', '--source', `replay:${file}`, '--data-dir', dataDir, '--port', '0', '--workers', '2', ...extra];
  const { child, match, output } = await cliServe(args, /listening on http:\/\/127\.0\.0\.1:(\d+)\//);
  const port = Number(match[1]);
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const stats = async (): Promise<DurableStats> => (await (await fetch(`http://127.0.0.1:${port}/api/stats`)).json()) as DurableStats;
  return { child, port, output, exited, stats };
}

/** Waits until the replay has ended and a checkpoint records the end (everything decided is durable). */
export async function untilEndCheckpointed(run: Started, timeoutMs = 60_000): Promise<DurableStats> {
  return until(async () => {
    const s = await run.stats();
    return s.source.state === 'ended' && s.durability?.lastCheckpoint?.ended === true ? s : undefined;
  }, timeoutMs, 100);
}

/** Every decision in a data dir's log, by transaction id: `[score, decision]` and how many times it appears. */
export function readDecisions(dataDir: string): { byId: Map<string, string>; rows: number; duplicates: string[] } {
  const r = spawnSync(process.execPath, [CLI, 'decisions', '--data-dir', dataDir, '--format', 'csv', '--no-header'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`fraudstream decisions failed (${r.status}): ${r.stderr}`);
  const byId = new Map<string, string>();
  const duplicates: string[] = [];
  let rows = 0;
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    rows++;
    // record,decision_id,transaction_id,event_time,score,decision,reasons,model_version,card_ref
    const f = line.split(',');
    const id = f[2] as string;
    if (byId.has(id)) duplicates.push(id);
    byId.set(id, `${f[4]},${f[5]}`);
  }
  return { byId, rows, duplicates };
}

/** Transaction ids of a CSV file in the interchange format (first column). */
export function csvIds(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.slice(0, l.indexOf(',')));
}
