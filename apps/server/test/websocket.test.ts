import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startServer,
  type FraudSystem,
  type HelloMessage,
  type RunningServer,
  type UpdateMessage,
} from '../src/index.js';
import { ALERTS_PER_UPDATE, FEED_PER_UPDATE } from '../src/push-hub.js';
import { createTestSystem, waitFor } from './utils/real-system.js';
import { openWebSocket, UpgradeRefused, type TestWebSocket } from '../../../tests/utils/ws-client.js';

let system: FraudSystem;
let server: RunningServer;

beforeAll(async () => {
  system = await createTestSystem();
  server = await startServer({ system, port: 0, pushIntervalMs: 50 });
  await system.start();
});

afterAll(async () => {
  await server?.close();
});

/** Reads updates until one satisfies `check`. */
async function nextUpdateWhere(ws: TestWebSocket, check: (u: UpdateMessage) => boolean): Promise<UpdateMessage> {
  for (let i = 0; i < 100_000; i++) {
    const message = await ws.next<UpdateMessage>();
    expect(message.type).toBe('update');
    if (check(message)) return message;
  }
  throw new Error('no matching update');
}

describe('WebSocket /ws on the real system', () => {
  it('sends hello with stats, then updates with stats, feed and alerts', async () => {
    const ws = await openWebSocket(server.port);
    const hello = await ws.next<HelloMessage>();
    expect(hello.type).toBe('hello');
    expect(hello.stats.source.kind).toBe('generator');
    expect(typeof hello.stats.counts.written).toBe('number');

    const first = await ws.next<UpdateMessage>();
    expect(first.type).toBe('update');
    expect(Object.keys(first).sort()).toEqual(['alerts', 'alertsOmitted', 'feed', 'stats', 'type']);
    expect(Array.isArray(first.feed)).toBe(true);
    expect(Array.isArray(first.alerts)).toBe(true);
    expect(typeof first.alertsOmitted).toBe('number');

    const withFeed = await nextUpdateWhere(ws, (u) => u.feed.length > 0);
    expect(withFeed.feed.length).toBeLessThanOrEqual(FEED_PER_UPDATE);
    expect(withFeed.alerts.length).toBeLessThanOrEqual(ALERTS_PER_UPDATE);
    for (const event of withFeed.feed) {
      expect(typeof event.cardRef).toBe('string');
      expect(event).not.toHaveProperty('cardId');
      expect(['APPROVE', 'REVIEW', 'DECLINE']).toContain(event.decision);
    }
    const later = await nextUpdateWhere(ws, (u) => u.stats.counts.scored > withFeed.stats.counts.scored);
    expect(later.stats.running).toBe(true);
    ws.close();
    await ws.closed;
  });

  it('delivers alerts, which are only REVIEW or DECLINE decisions', async () => {
    const ws = await openWebSocket(server.port);
    await ws.next<HelloMessage>();
    const update = await nextUpdateWhere(ws, (u) => u.alerts.length > 0);
    for (const alert of update.alerts) expect(['REVIEW', 'DECLINE']).toContain(alert.decision);
    ws.close();
  });

  it('serves every client from one timer', async () => {
    const clients = await Promise.all([openWebSocket(server.port), openWebSocket(server.port)]);
    await waitFor(() => server.metrics().clients === 2);
    const ticks = server.metrics().ticks;
    const sent = server.metrics().updatesSent;
    await Promise.all(clients.map(async (ws) => (await ws.next<HelloMessage>()).type));
    await waitFor(() => server.metrics().ticks >= ticks + 5);
    const m = server.metrics();
    // Each tick sends at most one update per client: two clients, about twice the ticks.
    expect(m.updatesSent - sent).toBeLessThanOrEqual(2 * (m.ticks - ticks) + 2);
    for (const ws of clients) ws.close();
    await waitFor(() => server.metrics().clients === 0);
  });

  it('refuses a WebSocket upgrade on any other path', async () => {
    for (const path of ['/', '/api/stats', '/ws/extra', '/wss']) {
      const error = await openWebSocket(server.port, path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, path).toBeInstanceOf(UpgradeRefused);
      expect((error as UpgradeRefused).status, path).toBe(404);
    }
  });

  it('skips a client that does not read, counting the skips, and resumes it once it drains', async () => {
    // Its own server and system: a fast push and a high rate fill the socket buffers sooner.
    const busySystem = await createTestSystem({ source: { kind: 'generator', tps: 100_000, seed: 3 } });
    const busy = await startServer({ system: busySystem, port: 0, pushIntervalMs: 10 });
    try {
      await busySystem.start();
      const ws = await openWebSocket(busy.port);
      await ws.next<HelloMessage>();
      // Stop reading: the kernel buffers fill, then uWS buffers past 1 MiB and the server must skip this client.
      ws.socket.pause();
      await waitFor(() => busy.metrics().updatesSkipped > 0, 60_000);
      ws.socket.resume();
      // Still connected: the backlog arrives, the socket drains, and the first update after the skips reports the
      // alerts this client missed (each update alone lists them all: ~1000 decisions a tick stay under 10 alerts).
      const caughtUp = await nextUpdateWhere(ws, (u) => u.alertsOmitted > 0);
      expect(caughtUp.stats.counts.scored).toBeGreaterThan(0);
      await waitFor(() => busy.metrics().drains > 0);
      const fresh = await ws.next<UpdateMessage>();
      expect(fresh.type).toBe('update');
      ws.close();
    } finally {
      await busy.close();
    }
  }, 90_000);

  it('closes every WebSocket and the listen socket on close()', async () => {
    const ws = await openWebSocket(server.port);
    await ws.next<HelloMessage>();
    await server.close();
    expect(await ws.closed).toBe(1001);
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
    // The system was closed too: every accepted transaction is decided.
    const stats = system.stats();
    expect(stats.counts.inFlight).toBe(0);
    expect(stats.counts.scored + stats.counts.fallback).toBe(stats.counts.written);
    expect(stats.laws).toEqual({ ok: true, violations: [] });
  });
});
