import { featureSet, sealBundle } from '@fraudstream/scorer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type RunningServer, type UpdateMessage } from '../src/index.js';
import { boundedRules, MAX_PUSHED_RULES, MAX_RULES_BODY } from '../src/rules-routes.js';
import { openWebSocket } from '../../../tests/utils/ws-client.js';
import { promtoolCheck } from './utils/promtool.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
interface RulesBody {
  generation: number;
  version: string;
  origin: string;
  text: string;
  rules: { name: string; action: string; source: string; hits: number }[];
  block: { countries: number };
  blockHits: number;
}
interface BundleBody {
  generation: number;
  version: string;
  bundle: { name: string; hash: string; version: string; generation: number } | null;
  rulesOrigin: string;
}

const TOKEN = 'rules-api-token-1';
const auth = { Authorization: `Bearer ${TOKEN}` };
let system: FraudSystem;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  system = await createTestSystem();
  server = await startServer({ system, port: 0, token: TOKEN, pushIntervalMs: 50 });
  base = `http://127.0.0.1:${server.port}`;
  await system.start();
});

afterAll(async () => {
  await server?.close();
});

const put = (path: string, body: string, headers: Record<string, string> = auth): Promise<Response> =>
  fetch(base + path, { method: 'PUT', headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body });
const getJson = async <T>(path: string): Promise<T> => {
  const response = await fetch(base + path, { headers: auth });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
};

const bundleText = (name: string, rules: string, review = 0.5): string =>
  sealBundle(
    JSON.stringify({
      format: 'fraudstream-bundle/1',
      name,
      featureSet,
      model: null,
      thresholds: { review, decline: 0.9 },
      rules,
      lists: { block: { country: ['KP'] } },
    }),
  );

describe('PUT /api/rules', () => {
  it('makes a text live between batches: its rules count hits, GET shows the text, origin and a new generation', async () => {
    const before = await getJson<RulesBody>('/api/rules');
    const text = '# every payment\nrule EVERYTHING flag: amount > 0\nrule NEVER review: amount < 0\n';
    const response = await put('/api/rules', text);
    expect(response.status).toBe(200);
    const live = (await response.json()) as RulesBody;
    expect(live.origin).toBe('api');
    expect(live.text).toBe(text);
    // The label this generation's decisions carry: the previous label + the text's hash.
    expect(live.version).toMatch(/\+rules@[0-9a-f]{8}$/);
    expect(live.generation).toBeGreaterThan(before.generation);
    expect(live.rules.map((r) => [r.name, r.action])).toEqual([
      ['EVERYTHING', 'flag'],
      ['NEVER', 'review'],
    ]);
    await waitFor(async () => ((await getJson<RulesBody>('/api/rules')).rules[0]?.hits ?? 0) > 0);
    const after = await getJson<RulesBody>('/api/rules');
    // The rule that cannot match stays at 0 while its neighbour fires: the hit check can fail.
    expect(after.rules[1]).toMatchObject({ name: 'NEVER', hits: 0 });
    expect(after.generation).toBe(live.generation);
  });

  it('refuses a bad rule with a 400 naming the rule, line and column, and the live set stays', async () => {
    const before = await getJson<RulesBody>('/api/rules');
    const response = await put('/api/rules', 'rule OK flag: amount > 1\nrule BROKEN review: card_tx_count_2d > 3\n');
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('invalid_body');
    expect(error.field).toBe('rules');
    expect(error.message).toMatch(/^rules: BROKEN at line 2, column \d+: unknown name 'card_tx_count_2d'/);
    const after = await getJson<RulesBody>('/api/rules');
    expect(after.text).toBe(before.text);
    expect(after.generation).toBe(before.generation);
  });

  it('refuses text that is not UTF-8 and a body over its bound', async () => {
    const bad = await fetch(`${base}/api/rules`, { method: 'PUT', headers: auth, body: new Uint8Array([0x72, 0xff, 0xfe]) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error).toMatchObject({ code: 'invalid_body', field: 'rules' });
    const huge = await put('/api/rules', `# ${'x'.repeat(MAX_RULES_BODY)}`);
    expect(huge.status).toBe(413);
  });

  it('needs the token (401), refuses another origin (403), and guards the GET as a data route', async () => {
    const before = await getJson<RulesBody>('/api/rules');
    expect((await put('/api/rules', 'rule X flag: amount > 1', {})).status).toBe(401);
    expect((await put('/api/rules', 'rule X flag: amount > 1', { ...auth, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await fetch(`${base}/api/rules`)).status).toBe(401);
    expect((await fetch(`${base}/api/bundle`)).status).toBe(401);
    expect((await getJson<RulesBody>('/api/rules')).generation).toBe(before.generation);
  });

  it('answers other methods with a 405 listing GET, HEAD and PUT', async () => {
    const response = await fetch(`${base}/api/rules`, { method: 'DELETE', headers: auth });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PUT');
  });
});

describe('PUT /api/bundle', () => {
  it('swaps a bundle: GET shows its version, hash and generation, and its rules replace the live ones', async () => {
    const text = bundleText('api-test', 'rule FROM_BUNDLE flag: amount > 0');
    const response = await fetch(`${base}/api/bundle`, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/json' }, body: text });
    expect(response.status).toBe(200);
    const live = (await response.json()) as BundleBody;
    const hash = (JSON.parse(text) as { hash: string }).hash;
    expect(live.bundle).toMatchObject({ name: 'api-test', hash, version: `api-test@${hash.slice(7, 19)}` });
    expect(live.version).toBe(live.bundle?.version);
    expect(live.generation).toBe(live.bundle?.generation);
    expect(live.rulesOrigin).toBe('bundle');
    const rules = await getJson<RulesBody>('/api/rules');
    expect(rules).toMatchObject({ origin: 'bundle', text: 'rule FROM_BUNDLE flag: amount > 0', generation: live.generation });
    expect(rules.block.countries).toBe(1);
    expect(await getJson<BundleBody>('/api/bundle')).toEqual(live);
  });

  it('refuses a bad bundle with a 400 naming the field, and the live bundle stays', async () => {
    const before = await getJson<BundleBody>('/api/bundle');
    const cases: [string, string][] = [
      [bundleText('bad', 'rule R review: amount >', 0.95), 'bundle.thresholds'],
      [bundleText('bad', 'rule R review: amount >'), 'bundle.rules'],
      ['{"format":', 'bundle'],
    ];
    for (const [body, field] of cases) {
      const response = await fetch(`${base}/api/bundle`, { method: 'PUT', headers: auth, body });
      expect(response.status, field).toBe(400);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.field, error.message).toBe(field);
    }
    expect(await getJson<BundleBody>('/api/bundle')).toEqual(before);
  });
});

describe('rule hits in the push and in /metrics', () => {
  it('bounds the rules the push carries to MAX_PUSHED_RULES, counting the rest', () => {
    const rule = (i: number): { name: string; action: 'flag'; source: string; hits: number } => ({ name: `R${i}`, action: 'flag', source: 'x'.repeat(500), hits: i });
    const sizes = { cards: 0, terminals: 0, mccs: 0, countries: 0 };
    const info = { generation: 3, version: '', rules: Array.from({ length: 100 }, (_, i) => rule(i)), allow: sizes, block: sizes, allowHits: 0, blockHits: 0 };
    const bounded = boundedRules(info);
    expect(bounded.rules).toHaveLength(MAX_PUSHED_RULES);
    expect(bounded.rulesOmitted).toBe(100 - MAX_PUSHED_RULES);
    expect(bounded.rules[0]?.source.length).toBeLessThanOrEqual(200);
    expect(boundedRules({ ...info, rules: info.rules.slice(0, 2) }).rulesOmitted).toBe(0);
  });

  it('carries each rule with its growing hits on the WebSocket and in fraudstream_rule_hits_total', async () => {
    expect((await put('/api/rules', 'rule WS_ALL flag: amount > 0\nrule WS_NONE flag: amount < 0')).status).toBe(200);
    const ws = await openWebSocket(server.port, '/ws', { 'Sec-WebSocket-Protocol': `fraudstream, bearer.${TOKEN}` });
    try {
      let seen: UpdateMessage['stats']['rules'] | undefined;
      const hits: number[] = [];
      while (hits.length < 2 || hits[hits.length - 1] === hits[0]) {
        const message = await ws.next<UpdateMessage>();
        if (message.type !== 'update') continue;
        seen = message.stats.rules;
        const all = seen.rules.find((r) => r.name === 'WS_ALL');
        if (all !== undefined) hits.push(all.hits);
      }
      expect(hits[hits.length - 1]).toBeGreaterThan(hits[0] ?? 0);
      expect(seen?.rules.find((r) => r.name === 'WS_NONE')?.hits).toBe(0);
      expect((seen as { rulesOmitted?: number }).rulesOmitted).toBe(0);
    } finally {
      ws.close();
    }
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    const value = (rule: string): number => Number(new RegExp(`^fraudstream_rule_hits_total\\{rule="${rule}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('WS_ALL')).toBeGreaterThan(0);
    expect(value('WS_NONE')).toBe(0);
    expect(promtoolCheck(metrics).status).toBe(0);
  });
});
