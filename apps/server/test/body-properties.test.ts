import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenarioRequest, parseThresholdsRequest, SCENARIO_KINDS } from '../src/control-requests.js';
import { HttpError } from '../src/errors.js';
import { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from '@fraudstream/system';
import { parseGeneratorRequest } from '../src/generator-request.js';
import { MAX_BODY_BYTES } from '../src/read-body.js';
import { startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { createTestSystem } from './utils/real-system.js';

// Property tests of the POST bodies (fast-check): the parsers on their own, then the same bodies through the real
// server's sockets (body reader, router, error replies). A body is either accepted as what it says, or refused with
// a 400 whose field is one the endpoint knows (or none, for the document as a whole); never another error.

interface Endpoint {
  path: string;
  parse: (body: Buffer) => unknown;
  fields: readonly string[];
}

const ENDPOINTS: readonly Endpoint[] = [
  { path: '/api/generator', parse: parseGeneratorRequest, fields: ['tps'] },
  { path: '/api/thresholds', parse: parseThresholdsRequest, fields: ['review', 'decline'] },
  { path: '/api/scenario', parse: parseScenarioRequest, fields: ['kind'] },
];

/** Bodies: random bytes, random JSON, and objects over the endpoints' own keys with values of any type. */
const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 2 }).map((t) => Buffer.from(t)),
  fc
    .dictionary(
      fc.constantFrom('tps', 'review', 'decline', 'kind', 'extra'),
      fc.oneof(fc.double(), fc.integer(), fc.constantFrom(...SCENARIO_KINDS), fc.jsonValue({ maxDepth: 1 })),
    )
    .map((o) => Buffer.from(JSON.stringify(o))),
);

/** Checks a refusal: a 400 HttpError whose field, when it has one, is named in its message. */
function expectRefusal(error: unknown, endpoint: Endpoint, body: Buffer): void {
  expect(error, body.toString('utf8')).toBeInstanceOf(HttpError);
  const e = error as HttpError;
  expect(e.status).toBe(400);
  const codes = ['malformed_json', 'invalid_body', 'missing_field', 'invalid_type', 'out_of_range', 'unknown_field'];
  expect(codes).toContain(e.code);
  if (e.field !== undefined) {
    // An unknown field is quoted as a JSON string in the message, so that any key prints safely.
    expect(e.message).toContain(e.code === 'unknown_field' ? JSON.stringify(e.field) : e.field);
    // An unknown field is named as sent; every other field is one of the endpoint's.
    if (e.code !== 'unknown_field') expect(endpoint.fields).toContain(e.field);
  }
  const keys = e.field === undefined ? ['code', 'message'] : ['code', 'field', 'message'];
  expect(Object.keys(e.toJSON().error).sort()).toEqual(keys);
}

/** Checks an accepted body: exactly the endpoint's fields, each within its range. */
function expectAccepted(value: unknown, endpoint: Endpoint): void {
  const v = value as Record<string, unknown>;
  expect(Object.keys(v).sort()).toEqual([...endpoint.fields].sort());
  if (endpoint.path === '/api/generator') {
    expect(v.tps).toBeGreaterThanOrEqual(MIN_GENERATOR_TPS);
    expect(v.tps).toBeLessThanOrEqual(MAX_GENERATOR_TPS);
  } else if (endpoint.path === '/api/thresholds') {
    const { review, decline } = v as { review: number; decline: number };
    expect(0 <= review && review <= decline && decline <= 1).toBe(true);
  } else {
    expect(SCENARIO_KINDS).toContain(v.kind);
  }
}

describe('POST body parsers', () => {
  it('accept a body as what it says or refuse it with a 400 naming a known field, never throwing anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ENDPOINTS), bodyArb, (endpoint, body) => {
        let value: unknown;
        try {
          value = endpoint.parse(body);
        } catch (error) {
          expectRefusal(error, endpoint, body);
          return;
        }
        expectAccepted(value, endpoint);
      }),
      { numRuns: 2000 },
    );
  });

  it('read valid bodies back exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_GENERATOR_TPS, max: MAX_GENERATOR_TPS }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (tps, a, b) => {
          const [review, decline] = a <= b ? [a, b] : [b, a];
          expect(parseGeneratorRequest(Buffer.from(JSON.stringify({ tps })))).toEqual({ tps });
          expect(parseThresholdsRequest(Buffer.from(JSON.stringify({ review, decline })))).toEqual({
            review: JSON.parse(JSON.stringify(review)) as number,
            decline: JSON.parse(JSON.stringify(decline)) as number,
          });
        },
      ),
      { numRuns: 300 },
    );
    for (const kind of SCENARIO_KINDS) {
      expect(parseScenarioRequest(Buffer.from(JSON.stringify({ kind })))).toEqual({ kind });
    }
  });
});

describe('POST bodies through the real server', () => {
  let system: FraudSystem;
  let server: RunningServer;
  let base: string;

  beforeAll(async () => {
    system = await createTestSystem();
    server = await startServer({ system, port: 0, pushIntervalMs: 1000 });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers every body with 200 or a JSON 400 naming a known field (bounded: 60 bodies)', async () => {
    // The scenario endpoint also needs a running generator (409 otherwise); the two others depend on the body only.
    const endpoints = ENDPOINTS.filter((e) => e.path !== '/api/scenario');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), bodyArb, async (endpoint, body) => {
        const response = await fetch(base + endpoint.path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        const json = (await response.json()) as { error?: { code: string; message: string; field?: string } };
        let expected: number;
        try {
          endpoint.parse(body);
          expected = 200;
        } catch {
          expected = 400;
        }
        expect(response.status, body.toString('utf8')).toBe(expected);
        if (expected === 400) {
          expect(json.error?.message.length).toBeGreaterThan(0);
          const field = json.error?.field;
          if (field !== undefined && json.error?.code !== 'unknown_field') expect(endpoint.fields).toContain(field);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('refuses bodies over the limit with a 413, whatever they hold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 * MAX_BODY_BYTES }), fc.constantFrom(...ENDPOINTS), async (n, e) => {
        const body = Buffer.alloc(MAX_BODY_BYTES + n, 0x20);
        const headers = { 'Content-Type': 'application/json' };
        const response = await fetch(base + e.path, { method: 'POST', headers, body });
        expect(response.status).toBe(413);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
      }),
      { numRuns: 10 },
    );
  });
});
