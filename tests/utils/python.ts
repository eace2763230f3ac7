import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's Python environment (created by scripts/setup-python.sh). */
export const PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
export const SCRIPTS = fileURLToPath(new URL('../../scripts/python/', import.meta.url));

/**
 * Runs a script of scripts/python with the repository's .venv. Throws (so the test FAILS, never skips) when the
 * environment is missing or the script fails.
 */
export function python(script: string, args: string[]): string {
  if (!existsSync(PYTHON)) {
    throw new Error(`Python env missing: ${PYTHON} does not exist. Run scripts/setup-python.sh (creates .venv with pinned xgboost-cpu, numpy, scikit-learn, lightgbm).`);
  }
  const r = spawnSync(PYTHON, [SCRIPTS + script, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${script} failed (status ${r.status}): ${r.stderr}`);
  return r.stdout;
}
