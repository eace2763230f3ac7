import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScoreResponseSchema } from '../src/api-schemas.js';
import { checkSchema } from '../src/json-schema.js';
import { JsonStringCache, reasonsJson, scoreResponseJson } from '../src/score-response.js';

// The /v1/score answer is assembled from fragments; it must be byte for byte what JSON.stringify of the response
// object gives (same keys, same order, same number and string encoding) and valid against ScoreResponseSchema.
describe('scoreResponseJson', () => {
  const outcome = fc.constantFrom('scored', 'invalid', 'fallback', 'deadline');
  const decision = fc.constantFrom('APPROVE', 'REVIEW', 'DECLINE');
  const score = fc.oneof(fc.constant(null), fc.float({ min: 0, max: 1, noNaN: true }).map((x) => Math.fround(x)), fc.double({ min: 0, max: 1, noNaN: true }));
  const text = fc.string({ unit: 'binary', maxLength: 40 });

  it('equals JSON.stringify of the response object for any id, score, reasons and version', () => {
    const versions = new JsonStringCache();
    fc.assert(
      fc.property(text, fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }), score, decision, fc.array(text, { maxLength: 4 }), text, fc.nat(1e9), outcome, (id, decisionId, s, d, reasons, version, latencyUs, o) => {
        const object = { id, decisionId, score: s, decision: d, reasons, modelVersion: version, latencyUs, outcome: o };
        const json = scoreResponseJson(JSON.stringify(id), decisionId, s, d, reasonsJson(reasons), versions.of(version), latencyUs, o);
        expect(json).toBe(JSON.stringify(object));
      }),
      { numRuns: 2000 },
    );
  });

  it('is valid against ScoreResponseSchema, and the check fails on a broken one', () => {
    const json = scoreResponseJson('"tx-1"', 'a'.repeat(32), 0.25, 'APPROVE', '[]', '"default"', 120, 'scored');
    expect(checkSchema(ScoreResponseSchema, JSON.parse(json))).toBeUndefined();
    const broken = scoreResponseJson('"tx-1"', 'a'.repeat(32), 0.25, 'APPROVE', '[]', '"default"', 120, 'scored').replace('"latencyUs":120', '"latencyUs":"120"');
    expect(checkSchema(ScoreResponseSchema, JSON.parse(broken))).toBeDefined();
  });

  it('caches version labels by value', () => {
    const c = new JsonStringCache();
    expect(c.of('m@1"x')).toBe(JSON.stringify('m@1"x'));
    expect(c.of('m@1"x')).toBe(c.of('m@1"x'));
    for (let i = 0; i < 200; i++) expect(c.of(`v${i}`)).toBe(`"v${i}"`);
  });
});
