#!/usr/bin/env node
// Runs the Rust tests of the workspace and writes their totals to cargo-test-results.json next to the caller's
// package, so scripts/test-all.mjs can add them to the one `N passed, N failed` line CI reads.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

// With the test-hooks feature, so the panic-recovery test runs too (the hooks stay inert unless armed).
const run = spawnSync('cargo', ['test', '--workspace', '--features', 'fraudstream-scorer/test-hooks', '--color', 'never'], { encoding: 'utf8', maxBuffer: 64 << 20 });
process.stdout.write(run.stdout ?? '');
process.stderr.write(run.stderr ?? '');
let passed = 0;
let failed = 0;
for (const m of (run.stdout ?? '').matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed/gm)) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}
// A build failure runs no test at all: count it as a failure so it can never look green.
if (run.status !== 0 && failed === 0) failed = 1;
writeFileSync('cargo-test-results.json', `${JSON.stringify({ passed, failed, status: run.status })}\n`);
process.exit(run.status ?? 1);
