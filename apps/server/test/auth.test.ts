import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackHost, startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { createTestSystem } from './utils/real-system.js';

let system: FraudSystem;
let server: RunningServer;

beforeAll(async () => {
  system = await createTestSystem();
  server = await startServer({ system, port: 0, token: 'test-token-123' });
});

afterAll(async () => {
  await server?.close();
});

describe('security defaults', () => {
  it('requires a token to bind a non-loopback address', async () => {
    await expect(startServer({ system, host: '0.0.0.0', port: 0 })).rejects.toThrow(TypeError);
    await expect(startServer({ system, host: '::', port: 0 })).rejects.toThrow(/token is required/);
  });

  it('validates options up front', async () => {
    await expect(startServer({ system, port: 70_000 })).rejects.toThrow(RangeError);
    await expect(startServer({ system, port: 1.5 })).rejects.toThrow(TypeError);
    await expect(startServer({ system, port: 0, pushIntervalMs: 0 })).rejects.toThrow(RangeError);
  });

  it('tells loopback from other addresses', () => {
    for (const host of ['127.0.0.1', '127.3.2.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '::ffff:10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('with a token, refuses a POST without it (401) and accepts one with it', async () => {
    const url = `http://127.0.0.1:${server.port}/api/generator`;
    const body = JSON.stringify({ tps: 321 });
    const without = await fetch(url, { method: 'POST', body });
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('unauthorized');

    const wrong = await fetch(url, { method: 'POST', body, headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(system.stats().source.targetTps).toBe(2_000);

    const right = await fetch(url, { method: 'POST', body, headers: { Authorization: 'Bearer test-token-123' } });
    expect(right.status).toBe(200);
    expect(system.stats().source.targetTps).toBe(321);
  });

  it('with a token, still serves reads without it', async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/api/stats`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
  });
});
