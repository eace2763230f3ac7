import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type HelloMessage, type RunningServer } from '../src/index.js';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../src/ws-guard.js';
import { createTestSystem } from './utils/real-system.js';
import { openWebSocket, UpgradeRefused, type TestWebSocket } from '../../../tests/utils/ws-client.js';

/** The HTTP status an upgrade was refused with, or 101 when it was accepted (the socket is closed again). */
async function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  try {
    const ws = await openWebSocket(port, '/ws', headers);
    ws.close();
    return 101;
  } catch (error) {
    if (error instanceof UpgradeRefused) return error.status;
    throw error;
  }
}

describe('WS /ws guard (no token, loopback bind)', () => {
  let system: FraudSystem;
  let server: RunningServer;
  beforeAll(async () => {
    system = await createTestSystem();
    server = await startServer({ system, port: 0, maxWsClients: 2 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('accepts a same-origin upgrade and refuses a cross-origin one with 403', async () => {
    const host = `127.0.0.1:${server.port}`;
    expect(await upgradeStatus(server.port, { Origin: `http://${host}` })).toBe(101);
    expect(await upgradeStatus(server.port, { Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(server.port, { Origin: 'null' })).toBe(403);
  });

  it('refuses a non-loopback Host (DNS rebinding) with 403', async () => {
    expect(await upgradeStatus(server.port, { Host: `attacker.example:${server.port}` })).toBe(403);
  });

  it('refuses the client past the cap with 503 and accepts again once one leaves', async () => {
    const open: TestWebSocket[] = [await openWebSocket(server.port), await openWebSocket(server.port)];
    for (const ws of open) expect((await ws.next<HelloMessage>()).type).toBe('hello');
    expect(await upgradeStatus(server.port, {})).toBe(503);
    const first = open.shift() as TestWebSocket;
    first.close();
    await first.closed;
    // The server sees the close asynchronously: retry until its count has dropped (a deadline, not a timing check).
    let status = 0;
    for (let i = 0; i < 200 && status !== 101; i++) {
      status = await upgradeStatus(server.port, {});
      if (status !== 101) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(101);
    for (const ws of open) ws.close();
  });
});

describe('WS /ws guard with a token', () => {
  let system: FraudSystem;
  let server: RunningServer;
  const token = 'ws-test-token-0123456789';
  beforeAll(async () => {
    system = await createTestSystem();
    server = await startServer({ system, port: 0, token });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses an upgrade without the token (401) or with a wrong one, accepts the subprotocol bearer.<token>', async () => {
    expect(await upgradeStatus(server.port, {})).toBe(401);
    expect(await upgradeStatus(server.port, { 'Sec-WebSocket-Protocol': `${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}wrong` })).toBe(401);
    expect(await upgradeStatus(server.port, { Authorization: `Bearer ${token}` })).toBe(401);
    const ws = await openWebSocket(server.port, '/ws', { 'Sec-WebSocket-Protocol': `${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${token}` });
    expect((await ws.next<HelloMessage>()).type).toBe('hello');
    ws.close();
  });

  it('closes a socket that sends a message over 4 KiB, and keeps one that sends a small one', async () => {
    const headers = { 'Sec-WebSocket-Protocol': `${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${token}` };
    const small = await openWebSocket(server.port, '/ws', headers);
    const big = await openWebSocket(server.port, '/ws', headers);
    small.sendText('x'.repeat(100));
    big.sendText('x'.repeat(5 * 1024));
    // uWS drops the connection (1006 here: no close frame) or closes with 1009 (message too big).
    expect([1006, 1009]).toContain(await big.closed);
    expect((await small.next<HelloMessage>()).type).toBe('hello');
    small.close();
  });

  it('still refuses a cross-origin upgrade that carries the token', async () => {
    const headers = { Origin: 'https://evil.example', 'Sec-WebSocket-Protocol': `${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${token}` };
    expect(await upgradeStatus(server.port, headers)).toBe(403);
  });
});
