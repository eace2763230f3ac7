import { spawnSync } from 'node:child_process';

/** Runs `promtool check metrics` on an exposition; fails (never skips) with the install hint when promtool is missing. */
export function promtoolCheck(exposition: string): { status: number; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  if (run.error !== undefined) {
    throw new Error(`promtool is needed for this test: apt-get install -y prometheus (.ci/run installs it) (${run.error.message})`);
  }
  return { status: run.status ?? -1, output: `${run.stdout}${run.stderr}` };
}
