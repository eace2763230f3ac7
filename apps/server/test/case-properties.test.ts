import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCaseUpdate } from '../src/case-routes.js';
import { HttpError } from '../src/errors.js';
import { parseQueryString } from '../src/query-string.js';

// Property tests (fast-check) of the case API's inputs on their own: a `POST /api/cases/:id` body and a query string
// are either accepted as what they say, or refused with a 400 naming a field the endpoint knows (or none, for the
// document as a whole); never another error.

const FIELDS = ['status', 'analyst', 'note', 'expectedVersion'];

const bodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 2 }).map((t) => Buffer.from(t)),
  fc
    .dictionary(
      fc.constantFrom(...FIELDS, 'cardId'),
      fc.oneof(
        fc.constantFrom('open', 'confirmed_fraud', 'legitimate', 'closed', ''),
        fc.string({ maxLength: 80 }),
        fc.integer(),
        fc.double(),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    )
    .map((o) => Buffer.from(JSON.stringify(o))),
);

describe('POST /api/cases/:id bodies', () => {
  it('are accepted as what they say or refused with a 400 naming a known field', () => {
    fc.assert(
      fc.property(bodyArb, (body) => {
        let parsed: ReturnType<typeof parseCaseUpdate>;
        try {
          parsed = parseCaseUpdate(body);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
          const e = error as HttpError;
          expect(e.status).toBe(400);
          if (e.field !== undefined && e.code !== 'unknown_field') expect(FIELDS).toContain(e.field);
          if (e.code === 'unknown_field') expect(FIELDS).not.toContain(e.field);
          return;
        }
        const sent = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        expect(['open', 'confirmed_fraud', 'legitimate']).toContain(parsed.status);
        expect(parsed.status).toBe(sent.status);
        expect(parsed.analyst).toBe((sent.analyst as string).trim());
        expect(parsed.analyst.length).toBeGreaterThan(0);
        expect(parsed.analyst.length).toBeLessThanOrEqual(64);
        expect(parsed.note).toBe(sent.note);
        expect(Object.keys(sent).every((k) => FIELDS.includes(k))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('query strings', () => {
  it('give back each known parameter once, or a 400', () => {
    const known = ['status', 'limit', 'before'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...known, 'x', 'lim%69t', '%zz'), fc.string({ maxLength: 12 })), { maxLength: 5 }), (pairs) => {
        const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        let params: Map<string, string>;
        try {
          params = parseQueryString(query, known);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpError);
          expect((error as HttpError).status).toBe(400);
          return;
        }
        const keys = pairs.map(([k]) => decodeURIComponent(k));
        expect(new Set(keys).size).toBe(keys.length);
        for (const [k, v] of pairs) expect(params.get(decodeURIComponent(k))).toBe(v);
      }),
      { numRuns: 2000 },
    );
    expect(() => parseQueryString('a'.repeat(3000), known)).toThrow(/2048/);
  });
});
