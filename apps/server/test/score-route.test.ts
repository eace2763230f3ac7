import { request } from 'node:http';
import { Limits } from '@fraudstream/schema';
import { createSystem } from '@fraudstream/system';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

// The /v1/score fast path (score-route.ts) against a real server: the same headers, limits and guards as the
// router's path for every other POST route.

let open: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});

async function serve(token?: string): Promise<number> {
  const system = await createSystem({ source: { kind: 'generator', tps: 1000, seed: 3 }, workers: 1 });
  const server = await startServer({ system, port: 0, pushIntervalMs: 1000, scoring: { deadlineMs: 30_000 }, ...(token === undefined ? {} : { token, host: '127.0.0.1' }) });
  open.push(server);
  return server.port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One POST with exact headers (node:http lets a test set Host), the body sent in `chunks`. */
function post(port: number, headers: Record<string, string>, chunks: string[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/score', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const tx = (id: string): string => JSON.stringify({ id, cardId: 'card-r', terminalId: 'term-r', amount: 12.5, timestamp: 1767225600000 });

describe('POST /v1/score fast path', () => {
  it('answers with the API headers, a body in several chunks included', async () => {
    const port = await serve();
    const text = tx('r-1');
    const r = await post(port, { 'Content-Type': 'application/json' }, [text.slice(0, 10), text.slice(10)]);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-request-id']).toMatch(/^.+-[0-9a-z]+$/);
    expect(JSON.parse(r.body)).toMatchObject({ id: 'r-1', outcome: 'scored' });
  });

  it('refuses a body over the limit with 413, declared or sent, in the one error shape', async () => {
    const port = await serve();
    const big = `{"id":"${'x'.repeat(Limits.maxJsonBytes)}"}`;
    const declared = await post(port, { 'Content-Length': String(big.length) }, [big]);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    const chunked = await post(port, { 'Transfer-Encoding': 'chunked' }, [big.slice(0, 1000), big.slice(1000)]);
    expect(chunked.status).toBe(413);
  });

  it('checks Host, Origin and the token like every mutating route', async () => {
    const port = await serve();
    expect((await post(port, { Host: `127.0.0.1:${port}` }, [tx('r-2')])).status).toBe(200);
    // A loopback Host seen before does not let another one through.
    const foreign = await post(port, { Host: 'evil.example' }, [tx('r-3')]);
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'forbidden' } });
    expect((await post(port, { Host: `127.0.0.1:${port}` }, [tx('r-4')])).status).toBe(200);
    expect((await post(port, { Origin: 'http://evil.example' }, [tx('r-5')])).status).toBe(403);
    const withToken = await serve('s3cret-token');
    expect((await post(withToken, {}, [tx('r-6')])).status).toBe(401);
    expect((await post(withToken, { Authorization: 'Bearer s3cret-token' }, [tx('r-7')])).status).toBe(200);
    const bad = await post(withToken, { Authorization: 'Bearer s3cret-token' }, ['{"id":1']);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'malformed_json' } });
  });
});
