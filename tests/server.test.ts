import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLaws } from '@fraudstream/engine';
import { startServer, type RunningServer, type Stats, type UpdateMessage } from '@fraudstream/server';
import { createSystem, type FraudSystem } from '@fraudstream/system';
import { until } from './utils/poll.js';
import { openWebSocket } from './utils/ws-client.js';

let system: FraudSystem;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  system = await createSystem({ source: { kind: 'generator', tps: 10_000, seed: 11 }, workers: 2, autoStart: true });
  server = await startServer({ system, port: 0 });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

const getStats = async (): Promise<Stats> => (await (await fetch(`${base}/api/stats`)).json()) as Stats;
/** The laws recomputed here from the served counts (not the server's own verdict), and the server's verdict. */
const lawsHold = (s: Stats): boolean => checkLaws(s).length === 0 && s.laws.ok;

describe('the real server on a free loopback port, over the real engine and generator', () => {
  it('binds 127.0.0.1 and answers /api/stats with scored rising and every law held in every snapshot', async () => {
    expect(server.host).toBe('127.0.0.1');
    const snapshots: Stats[] = [await getStats()];
    await until(async () => {
      const s = await getStats();
      snapshots.push(s);
      return snapshots.length > 5 && s.counts.scored > (snapshots[0]?.counts.scored ?? 0) ? s : undefined;
    });
    expect(snapshots.filter((s) => !lawsHold(s))).toEqual([]);
    const last = snapshots.at(-1) as Stats;
    expect(last.running).toBe(true);
    expect(last.source).toMatchObject({ kind: 'generator', targetTps: 10_000, state: 'running', injected: 0, pendingInjected: 0 });
    expect(last.counts.fallback).toBe(0);
    expect(last.workers.count).toBe(2);
    expect(last.queue.capacity).toBeGreaterThan(0);
  });

  it('streams stats about 5 times a second on /ws, with masked feed samples and alerts, every law held', async () => {
    const ws = await openWebSocket(server.port);
    try {
      expect((await ws.next<{ type: string }>()).type).toBe('hello');
      const updates: UpdateMessage[] = [];
      while (updates.length < 15) {
        const u = await ws.next<UpdateMessage>();
        expect(u.type).toBe('update');
        updates.push(u);
      }
      expect(updates.filter((u) => !lawsHold(u.stats))).toEqual([]);
      const decided = updates.map((u) => u.stats.counts.scored);
      expect(decided.at(-1)).toBeGreaterThan(decided[0] as number);
      const feed = updates.flatMap((u) => u.feed);
      expect(feed.length).toBeGreaterThan(0);
      for (const e of [...feed, ...updates.flatMap((u) => u.alerts)]) expect(e.cardRef).toMatch(/^…[0-9a-f]{6}$/);
      // Every alert decided between the first and the last update was either sent or counted as omitted.
      const alertTotal = (u: UpdateMessage): number => u.stats.counts.review + u.stats.counts.declined;
      const sentOrOmitted = updates.slice(1).reduce((n, u) => n + u.alerts.length + u.alertsOmitted, 0);
      expect(sentOrOmitted).toBe(alertTotal(updates.at(-1) as UpdateMessage) - alertTotal(updates[0] as UpdateMessage));
      expect(alertTotal(updates.at(-1) as UpdateMessage)).toBeGreaterThan(0);
    } finally {
      ws.close();
    }
  });

  it('changes the generator rate, rejects a bad body naming the field, and stops with nothing in flight', async () => {
    const ok = await fetch(`${base}/api/generator`, { method: 'POST', body: JSON.stringify({ tps: 20_000 }) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Stats).source.targetTps).toBe(20_000);
    const bad = await fetch(`${base}/api/generator`, { method: 'POST', body: JSON.stringify({ tps: 'fast' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'tps' } });
    const stopped = await fetch(`${base}/api/system/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    const s = (await stopped.json()) as Stats;
    expect(s.running).toBe(false);
    expect(s.counts.inFlight).toBe(0);
    expect(s.queue.depth).toBe(0);
    // What the generator wrote (its own count) was all taken and all scored by the scorer (its own count).
    expect(s.counts.consumed).toBe(s.counts.written);
    expect(s.counts.scored + s.counts.fallback).toBe(s.counts.written);
    expect(s.counts.fallback).toBe(0);
    expect(lawsHold(s)).toBe(true);
  });
});
