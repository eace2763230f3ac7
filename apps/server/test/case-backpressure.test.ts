import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCaseStore } from '@fraudstream/store';
import { createSystem, type System } from '@fraudstream/system';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';
import { waitFor } from './utils/real-system.js';

// The HTTP inputs are gated by the case writer's queue like the generator and replay: with the case writer stalled
// (the test fault `stallCaseWriter`: it commits nothing until closed) and a queue bound of 2, two alerts fill it and
// every later score request or upload is refused with 503 and Retry-After before anything is written; nothing is
// dropped (the two accepted alerts get their cases when the writer closes).

let server: RunningServer | undefined;
let system: System | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await server?.close();
  await system?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  server = undefined;
  system = undefined;
  dataDir = undefined;
});

const tx = (i: number): Record<string, unknown> => ({ id: `bp-${i}`, cardId: `card-${i}`, terminalId: 'term-1', amount: 25 + i, timestamp: Date.UTC(2026, 0, 5, 10, i), channel: 'ONLINE' });

describe('HTTP inputs held back by a full case queue', () => {
  it('answers 503 with Retry-After to /v1/score and /v1/transactions while the case writer is behind, dropping nothing accepted', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fs-case-bp-'));
    process.env.FRAUDSTREAM_TEST_FAULTS = JSON.stringify({ stallCaseWriter: true });
    try {
      // A review threshold of 0: every transaction is an alert. The generator is never started.
      system = await createSystem({ source: { kind: 'generator', tps: 1000, seed: 3 }, workers: 2, dataDir, caseQueue: 2, thresholds: { review: 0, decline: 0.99 } });
    } finally {
      delete process.env.FRAUDSTREAM_TEST_FAULTS;
    }
    server = await startServer({ system, port: 0, pushIntervalMs: 1000, scoring: { deadlineMs: 30_000 } });
    const base = `http://127.0.0.1:${server.port}`;
    const score = (body: unknown) => fetch(`${base}/v1/score`, { method: 'POST', body: JSON.stringify(body) });

    for (const i of [1, 2]) expect((await score(tx(i))).status).toBe(200);
    const s = system;
    await waitFor(() => s.stats().cases?.full === true);

    const refused = await score(tx(3));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');

    const upload = await fetch(`${base}/v1/transactions`, { method: 'POST', body: `${JSON.stringify(tx(4))}\n`, headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(upload.status).toBe(503);
    expect(upload.headers.get('retry-after')).toBe('1');
    // Nothing of the refused requests reached the engine.
    expect(system.stats().counts.decided).toBe(2);

    await server.close();
    server = undefined;
    await system.close();
    system = undefined;
    // Closing the writer commits what it held: the two accepted alerts have their cases, no more.
    const store = await openCaseStore({ dataDir });
    try {
      const page = await store.list({ limit: 10 });
      expect(page.cases.map((c) => c.transactionId).sort()).toEqual(['bp-1', 'bp-2']);
    } finally {
      await store.close();
    }
  }, 60_000);
});
