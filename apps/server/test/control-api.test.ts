import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type RunningServer, type Stats, type UpdateMessage } from '../src/index.js';
import { openWebSocket } from '../../../tests/utils/ws-client.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

let system: FraudSystem;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  system = await createTestSystem();
  server = await startServer({ system, port: 0, pushIntervalMs: 50 });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

const post = (path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** A POST with a chosen Host header (fetch cannot set one), resolving with the status code. */
function postWithHost(path: string, host: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: 'POST', headers: { Host: host, 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const stats = async (): Promise<Stats> => (await (await fetch(`${base}/api/stats`)).json()) as Stats;

describe('POST /api/thresholds', () => {
  it.each([
    ['malformed JSON', '{', 'malformed_json', undefined],
    ['not an object', '[0.1, 0.2]', 'invalid_body', undefined],
    ['missing review', '{"decline":0.9}', 'missing_field', 'review'],
    ['missing decline', '{"review":0.5}', 'missing_field', 'decline'],
    ['review not a number', '{"review":"0.5","decline":0.9}', 'invalid_type', 'review'],
    ['decline above 1', '{"review":0.5,"decline":1.5}', 'out_of_range', 'decline'],
    ['negative review', '{"review":-0.1,"decline":0.9}', 'out_of_range', 'review'],
    ['review above decline', '{"review":0.8,"decline":0.6}', 'out_of_range', 'review'],
    ['unknown field', '{"review":0.5,"decline":0.9,"rules":1}', 'unknown_field', 'rules'],
  ])('refuses %s with a 400 naming the field', async (_name, body, code, field) => {
    const response = await post('/api/thresholds', body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect((await stats()).thresholds).toEqual({ review: 0.5, decline: 0.9 });
  });

  it('refuses a cross-origin request and a non-loopback Host, changing nothing', async () => {
    const body = '{"review":0.1,"decline":0.2}';
    expect((await post('/api/thresholds', body, { Origin: 'http://attacker.example' })).status).toBe(403);
    expect(await postWithHost('/api/thresholds', 'attacker.example', body)).toBe(403);
    expect((await stats()).thresholds).toEqual({ review: 0.5, decline: 0.9 });
  });

  it('applies new thresholds to the decisions made from then on', async () => {
    await post('/api/system/start');
    // review = decline = 0: every score is at or above both, so every later decision is DECLINE.
    const response = await post('/api/thresholds', '{"review":0,"decline":0}');
    expect(response.status).toBe(200);
    const after = (await response.json()) as Stats;
    expect(after.thresholds).toEqual({ review: 0, decline: 0 });
    // Batches already in flight may finish with the old thresholds: measure from a later snapshot.
    await waitFor(async () => (await stats()).counts.scored > after.counts.scored + 200);
    const from = await stats();
    await waitFor(async () => (await stats()).counts.scored > from.counts.scored + 1000);
    const to = await stats();
    expect(to.counts.declined - from.counts.declined).toBe(to.counts.scored - from.counts.scored);
    expect(to.counts.approved).toBe(from.counts.approved);

    expect((await post('/api/thresholds', '{"review":0.5,"decline":0.9}')).status).toBe(200);
    await post('/api/system/stop');
  });
});

describe('POST /api/scenario', () => {
  it.each([
    ['malformed JSON', 'nope', 'malformed_json', undefined],
    ['missing kind', '{}', 'missing_field', 'kind'],
    ['kind not a string', '{"kind":3}', 'invalid_type', 'kind'],
    ['unknown kind', '{"kind":"bank-heist"}', 'out_of_range', 'kind'],
    ['unknown field', '{"kind":"card-testing","count":5}', 'unknown_field', 'count'],
  ])('refuses %s with a 400 naming the field', async (_name, body, code, field) => {
    const response = await post('/api/scenario', body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
  });

  it('refuses to inject while the system is stopped (409), and cross-origin or foreign-Host requests (403)', async () => {
    expect((await stats()).running).toBe(false);
    const stopped = await post('/api/scenario', '{"kind":"card-testing"}');
    expect(stopped.status).toBe(409);
    expect(((await stopped.json()) as ErrorBody).error.code).toBe('conflict');
    await post('/api/system/start');
    const body = '{"kind":"card-testing"}';
    expect((await post('/api/scenario', body, { Origin: 'http://attacker.example' })).status).toBe(403);
    expect(await postWithHost('/api/scenario', 'evil.example:80', body)).toBe(403);
    const s = await stats();
    expect(s.source.injected).toBe(0);
    expect(s.source.pendingInjected).toBe(0);
  });

  it('injects a compromised terminal that the real pipeline scores into visible alerts', async () => {
    const ws = await openWebSocket(server.port);
    await ws.next();
    const before = await stats();
    const response = await post('/api/scenario', '{"kind":"compromised-terminal"}');
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { kind: string; queued: number };
    expect(answer).toMatchObject({ kind: 'compromised-terminal', queued: 30 });
    // Attack transactions carry ids from 9e15 up; each is above the HIGH_AMOUNT rule's 5,000, so each is an alert.
    const seen = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (seen.size === 0 && Date.now() < deadline) {
      const update = await ws.next<UpdateMessage>();
      if (update.type !== 'update') continue;
      for (const alert of update.alerts) {
        if (Number(alert.id) >= 9e15) {
          expect(alert.amount).toBeGreaterThan(5_000);
          expect(alert.reasons).toContain('HIGH_AMOUNT');
          expect(alert.cardRef).toMatch(/^…[0-9a-f]{6}$/);
          seen.add(alert.id);
        }
      }
    }
    ws.close();
    expect(seen.size).toBeGreaterThan(0);
    await waitFor(async () => (await stats()).source.injected === 30);
    const after = await stats();
    const alertsBefore = before.counts.review + before.counts.declined;
    expect(after.counts.review + after.counts.declined - alertsBefore).toBeGreaterThanOrEqual(30);
    expect(after.source.pendingInjected).toBe(0);
  });

  it('injects a card-testing burst whose probes trip the velocity rule', async () => {
    const ws = await openWebSocket(server.port);
    await ws.next();
    const response = await post('/api/scenario', '{"kind":"card-testing"}');
    expect(response.status).toBe(202);
    expect(((await response.json()) as { queued: number }).queued).toBe(38);
    const reasons = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (!(reasons.has('VELOCITY_1D') && reasons.has('HIGH_AMOUNT')) && Date.now() < deadline) {
      const update = await ws.next<UpdateMessage>();
      if (update.type !== 'update') continue;
      for (const alert of update.alerts) if (Number(alert.id) >= 9e15) for (const r of alert.reasons) reasons.add(r);
    }
    ws.close();
    expect(reasons).toContain('VELOCITY_1D');
    expect(reasons).toContain('HIGH_AMOUNT');
    await waitFor(async () => (await stats()).source.injected === 68);
    await post('/api/system/stop');
  });
});
