#!/usr/bin/env node
// `pnpm test`: builds everything, runs every suite (cargo and each workspace's vitest) and the linters (tsc over
// sources and tests, clippy, rustfmt) through turbo, then prints
// the one plain line CI reads: `N passed, N failed`, totalling every suite. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'apps', 'native']
  .flatMap((d) => (existsSync(join(root, d)) ? readdirSync(join(root, d)).map((p) => join(root, d, p)) : []))
  .concat([join(root, 'tests')]);
const resultFiles = (dir) => [join(dir, 'test-results.json'), join(dir, 'cargo-test-results.json')];
for (const dir of dirs) for (const f of resultFiles(dir)) rmSync(f, { force: true });

// The XGBoost parity and backtest-check tests need the pinned Python env; the script keeps an up-to-date .venv as is.
// (If it cannot be made, those tests fail with the setup instruction; Debian's chromium is the other prerequisite.)
spawnSync('bash', [join(root, 'scripts/setup-python.sh')], { cwd: root, stdio: 'inherit' });
// The case-store tests need Debian's PostgreSQL running with their role and database (idempotent; when the package is
// missing, those tests fail with the instruction). The Kafka tests start the repository's broker themselves.
spawnSync('bash', [join(root, 'scripts/setup-postgres.sh')], { cwd: root, stdio: 'inherit' });

const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', 'lint', '--continue', '--concurrency=1', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

const firstLine = (m) => String(m ?? '').replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim() !== '')?.slice(0, 300) ?? '';
let passed = 0;
let failed = 0;
let skipped = 0;
const suites = [];
const failures = [];
for (const dir of dirs) {
  const [vitestFile, cargoFile] = resultFiles(dir);
  if (existsSync(vitestFile)) {
    const r = JSON.parse(readFileSync(vitestFile, 'utf8'));
    // A file that fails to load has no test results of its own; count it as a failure.
    const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
    passed += r.numPassedTests;
    failed += r.numFailedTests + brokenFiles;
    skipped += r.numPendingTests + r.numTodoTests;
    suites.push(`${dir.slice(root.length)} vitest ${r.numPassedTests}/${r.numTotalTests}`);
    // Name every failed test and its first message line beside the totals, where a truncated CI log still shows it.
    for (const f of r.testResults ?? []) {
      const file = f.name.startsWith(root) ? f.name.slice(root.length) : f.name;
      const bad = (f.assertionResults ?? []).filter((a) => a.status === 'failed');
      if (f.status === 'failed' && bad.length === 0) failures.push(`${file}: ${firstLine(f.message)}`);
      for (const a of bad) failures.push(`${file} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    }
  }
  if (existsSync(cargoFile)) {
    const r = JSON.parse(readFileSync(cargoFile, 'utf8'));
    passed += r.passed;
    failed += r.failed;
    suites.push(`${dir.slice(root.length)} cargo ${r.passed}/${r.passed + r.failed}`);
  }
}
console.log(`\nsuites: ${suites.join(' | ')}`);
for (const f of failures) console.log(`FAILED ${f}`);
// turbo failing without any failed test (a build or lint error, a crashed runner) must still fail the run.
if (turbo.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
