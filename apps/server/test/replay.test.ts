import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCsv } from '@fraudstream/sources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type RunningServer, type Stats } from '../src/index.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

let dir: string;
let rows: number;
let system: FraudSystem;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraudstream-replay-'));
  const file = join(dir, 'tx.csv');
  ({ rows } = await generateCsv({ customers: 100, terminals: 200, days: 5, start: '2018-04-01', seed: 5 }, file));
  system = await createTestSystem({ source: { kind: 'replay', path: file, tps: 'max' } });
  server = await startServer({ system, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a replay system behind the server', () => {
  it('reports the replay source, replays the whole file and stops at its end', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const before = (await (await fetch(`${base}/api/stats`)).json()) as Stats;
    expect(before.source).toMatchObject({ kind: 'replay', targetTps: 0, state: 'idle' });

    const started = await fetch(`${base}/api/system/start`, { method: 'POST' });
    expect(started.status).toBe(200);
    await waitFor(() => {
      const s = system.stats();
      return !s.running && s.counts.inFlight === 0 && s.queue.depth === 0;
    });
    const stats = system.stats();
    // The replay's own count of the rows it wrote, and the scorer's count, against the file.
    expect(stats.counts.written + stats.counts.rejected).toBe(rows);
    expect(stats.counts.scored).toBe(stats.counts.written);
    expect(stats.counts.inFlight).toBe(0);
    expect(stats.laws.ok).toBe(true);
    expect(stats.source.state).toBe('ended');
  });

  it('answers POST /api/generator with 409: there is no generator to change', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/generator`, {
      method: 'POST',
      body: JSON.stringify({ tps: 100 }),
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('conflict');
    expect(() => system.setGenerator({ tps: 100 })).toThrow(TypeError);
    expect(() => system.setGenerator({ tps: 0 })).toThrow(RangeError);
  });
});

describe('a replay whose file has no usable header', () => {
  it('reports the source as failed, with the missing column named, and keeps serving', async () => {
    const file = join(dir, 'bad-header.csv');
    await writeFile(file, 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TX_AMOUNT\n1,2018-04-01 00:00:01,1,10\n');
    const bad = await createTestSystem({ source: { kind: 'replay', path: file, tps: 'max' }, workers: 1 });
    try {
      await bad.start();
      await waitFor(() => bad.stats().source.state === 'failed');
      expect(bad.stats().source.error).toMatch(/TERMINAL_ID/);
      expect(bad.stats().running).toBe(false);
    } finally {
      await bad.close();
    }
  });
});
