import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { MAX_BUNDLE_BYTES } from '../src/challenger-routes.js';
import { promtoolCheck } from './utils/promtool.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

const TOKEN = 'challenger-token-1';
const bundle = (name: string, thresholds: { review: number; decline: number }): string =>
  sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name, featureSet, thresholds, rules: 'rule BIG review: amount > 2000' }));
const CHALLENGER = bundle('strict', { review: 0.05, decline: 0.5 });

let system: FraudSystem;
let server: RunningServer;
let base: string;

interface ChallengerJson {
  version: string;
  counts: { scored: number; invalid: number; consumed: number };
  quality: { champion: { labelled: number }; challenger: { labelled: number } };
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const call = (path: string, method: string, body?: string, headers: Record<string, string> = auth): Promise<Response> =>
  fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
const errorOf = async (r: Response): Promise<{ code: string; message: string; field?: string }> => ((await r.json()) as { error: { code: string; message: string; field?: string } }).error;
const challengerNow = async (): Promise<ChallengerJson | null> => ((await (await fetch(`${base}/api/challenger`)).json()) as { challenger: ChallengerJson | null }).challenger;

beforeAll(async () => {
  system = await createTestSystem({ autoStart: true });
  server = await startServer({ system, port: 0, token: TOKEN });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

describe('challenger API (real server, real engine)', () => {
  it('loads a challenger with the token only, refuses bad bundles naming the field, and shows it in /api/stats', async () => {
    expect(await challengerNow()).toBeNull();
    expect((await call('/api/challenger', 'PUT', CHALLENGER, {})).status).toBe(401);
    const foreign = await call('/api/challenger', 'PUT', CHALLENGER, { ...auth, Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await challengerNow()).toBeNull();

    const malformed = await call('/api/challenger', 'PUT', '{"format":');
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe('malformed_json');
    const bad = await call('/api/challenger', 'PUT', JSON.stringify({ format: 'fraudstream-bundle/1', name: 'x' }));
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: 'invalid_body', field: 'bundle.featureSet' });
    const huge = await call('/api/challenger', 'PUT', ' '.repeat(MAX_BUNDLE_BYTES + 1));
    expect(huge.status).toBe(413);
    expect(await challengerNow()).toBeNull();

    const ok = await call('/api/challenger', 'PUT', CHALLENGER);
    expect(ok.status).toBe(200);
    const loaded = (await ok.json()) as { bundle: { version: string; name: string } };
    expect(loaded.bundle.name).toBe('strict');
    await waitFor(async () => ((await challengerNow())?.counts.scored ?? 0) > 100);
    const stats = (await (await fetch(`${base}/api/stats`)).json()) as { challenger: ChallengerJson; laws: { ok: boolean; violations: unknown[] } };
    expect(stats.challenger.version).toBe(loaded.bundle.version);
    expect(stats.laws).toEqual({ ok: true, violations: [] });
    expect(stats.challenger.quality.champion.labelled).toBe(stats.challenger.quality.challenger.labelled);
    // The metrics carry it too, in an exposition promtool accepts.
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(promtoolCheck(metrics)).toEqual({ status: 0, output: '' });
    expect(metrics).toContain(`fraudstream_challenger_info{version="${loaded.bundle.version}"} 1`);
    expect(metrics).toMatch(/^fraudstream_challenger_transactions\{outcome="scored"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^fraudstream_challenger_quality_ratio\{bundle="challenger",measure="average_precision"\} /m);
  }, 30_000);

  it('promotes with the token only: the champion then decides with the challenger bundle and the slot is empty', async () => {
    const version = (await challengerNow())?.version;
    expect(version).toMatch(/^strict@/);
    expect((await call('/api/challenger/promote', 'POST', '', {})).status).toBe(401);
    expect(await challengerNow()).not.toBeNull();
    const promoted = await call('/api/challenger/promote', 'POST', '');
    expect(promoted.status).toBe(200);
    expect(((await promoted.json()) as { champion: { version: string } }).champion.version).toBe(version);
    expect(await challengerNow()).toBeNull();
    expect(system.ruleStats().version).toBe(version);
    const again = await call('/api/challenger/promote', 'POST', '');
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toMatch(/no challenger/);
  }, 30_000);

  it('removes a challenger with DELETE (404 when none); other methods get 405 with Allow', async () => {
    expect((await call('/api/challenger', 'DELETE')).status).toBe(404);
    expect((await call('/api/challenger', 'PUT', bundle('other', { review: 0.5, decline: 0.9 }))).status).toBe(200);
    expect((await call('/api/challenger', 'DELETE', undefined, {})).status).toBe(401);
    expect(await challengerNow()).not.toBeNull();
    const removed = await call('/api/challenger', 'DELETE');
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ removed: true });
    expect(await challengerNow()).toBeNull();
    const wrong = await call('/api/challenger', 'POST', '{}');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    expect((await call('/api/challenger/promote', 'GET', undefined, {})).status).toBe(405);
  }, 30_000);
});
