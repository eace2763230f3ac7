import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PYTHON } from './utils/python.js';

// The scoring-API bench's FastAPI peer must feed XGBoost the same vector the Rust scorer computes: its features and
// scores are compared on a deterministic stream by bench/peers/feature-parity.mjs (exit 1 on any difference).
const SCRIPT = fileURLToPath(new URL('../bench/peers/feature-parity.mjs', import.meta.url));

describe('the FastAPI bench peer', () => {
  it('computes the scorer’s 34 features and its scores on 400 transactions', () => {
    if (!existsSync(PYTHON)) throw new Error(`Python env missing: ${PYTHON}. Run scripts/setup-python.sh.`);
    const r = spawnSync(process.execPath, [SCRIPT, '400'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('PARITY OK');
    expect(r.stdout).not.toContain('DIFFERS');
    expect(r.status).toBe(0);
  }, 180_000);
});
