import { CHANNEL_NAMES, type Transaction, type ValidationError } from '@fraudstream/schema';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransactionSchema } from '../src/api-schemas.js';
import { parseBody, type JsonSchema } from '../src/json-schema.js';
import { checkTransactionValue } from '../src/score-api.js';
import { compileFastTransactionParser, parseTransactionFast } from '../src/transaction-fast-path.js';

// The single-pass reader of /v1/score bodies against the general path (JSON.parse, the request schema, the schema
// package's rules): whenever the fast reader accepts a body, the general path accepts it with the same transaction;
// and on the bodies a client normally sends (ASCII, no exponent, no repeated field) it accepts every body the general
// path accepts. Everything it declines goes to the general path, which produces the error naming the field, so the
// server accepts and refuses exactly what the schema says.

type Outcome = { ok: true; tx: Transaction } | { ok: false; code: string; field: string };

/** The general path as ScoreApi.parseGeneral runs it (without the engine's count). */
function general(body: Buffer, schema: JsonSchema = TransactionSchema): Outcome {
  let input: unknown;
  try {
    input = parseBody<unknown>(body, { type: 'object' });
  } catch {
    return { ok: false, code: 'malformed', field: '$' };
  }
  const r = checkTransactionValue(input, schema);
  if ('code' in r) return { ok: false, code: (r as ValidationError).code, field: (r as ValidationError).field };
  return { ok: true, tx: r };
}

/** A JSON token as raw text, so number spellings the serializer would not produce (12.50, -0, 1E3) are sent too. */
const raw = (text: string): { raw: string } => ({ raw: text });
type Value = string | number | boolean | null | { raw: string } | Readonly<Record<string, unknown>> | readonly unknown[];

const ascii = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_ .:/'.split('')), minLength: 0, maxLength: 70 });
const tricky = fc.constantFrom('a\\"b', 'caf\u00e9', 'x\ty', '\u2028', 'emoji\u{1F600}', 'a\\u0041');
const decimalText = fc
  .tuple(fc.boolean(), fc.nat({ max: 2_000_000_000 }), fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 25 })))
  .map(([neg, int, frac]) => raw(`${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}`));
const oddNumber = fc.constantFrom(raw('-0'), raw('1E3'), raw('1e-7'), raw('12345678901234567890'), raw('0.1e2'), raw('01'), raw('1.'), raw('.5'), raw('-'), raw('2e400'));
const anyNumber = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), decimalText, oddNumber);
const primitive = fc.oneof(ascii, anyNumber, fc.boolean(), fc.constant(null), tricky);
const nested = fc.oneof(fc.constant({ a: 1 }), fc.constant([1, 'x']), fc.constant({}), fc.constant([]));

const isoDate = (years: [number, number], days: number, hours: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.integer({ min: years[0], max: years[1] }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: days }), fc.integer({ min: 0, max: hours }), fc.constantFrom('Z', '+02:00', '', '.123Z', '.123456789012345678901234567890Z'))
    .map(([y, mo, d, h, z]) => `${y}-${String(Math.min(12, Math.max(1, mo))).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:30:00${z}`);
const decimalIn = (max: number, negative: boolean): fc.Arbitrary<{ raw: string }> =>
  fc
    .tuple(fc.boolean(), fc.nat({ max }), fc.option(fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 12 })))
    .map(([neg, int, frac]) => raw(`${neg && negative ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}`));

/** Each field: usually a valid value (so that many whole bodies are valid), sometimes anything. */
const field = (valid: fc.Arbitrary<Value>, invalid: fc.Arbitrary<Value> = fc.oneof(primitive, nested)): fc.Arbitrary<Value> =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const idValue = field(fc.oneof({ weight: 5, arbitrary: ascii.filter((s) => s.length > 0 && s.length <= 64) }, { weight: 1, arbitrary: fc.nat() }));
const FIELDS: Record<string, fc.Arbitrary<Value>> = {
  id: idValue,
  cardId: idValue,
  terminalId: idValue,
  amount: field(fc.oneof({ weight: 1, arbitrary: fc.double({ min: 0, max: 1e9, noNaN: true }) }, { weight: 4, arbitrary: decimalIn(999_999_999, false) }), fc.oneof(primitive, decimalText)),
  timestamp: field(fc.oneof(fc.integer({ min: 0, max: 7_258_118_400_000 }), isoDate([1970, 2199], 28, 23)), fc.oneof(primitive, fc.integer({ min: -1000, max: 7_258_118_400_500 }), isoDate([1965, 2205], 32, 24))),
  currency: field(fc.constantFrom('EUR', 'USD'), fc.oneof(fc.constantFrom('eur', 'EU', 'EURO'), primitive)),
  mcc: field(fc.integer({ min: 0, max: 9999 }), fc.oneof(fc.integer({ min: -5, max: 10_005 }), primitive)),
  channel: field(fc.constantFrom(...CHANNEL_NAMES), fc.oneof(fc.constantFrom('online', 'MAIL'), primitive)),
  cardPresent: field(fc.boolean()),
  country: field(fc.constantFrom('FR', 'DE'), fc.oneof(fc.constantFrom('fr', 'FRA', ''), primitive)),
  lat: field(fc.oneof({ weight: 1, arbitrary: fc.double({ min: -90, max: 90, noNaN: true }) }, { weight: 4, arbitrary: decimalIn(89, true) }), fc.oneof(fc.double({ min: -95, max: 95, noNaN: true }), decimalText, primitive)),
  lon: field(fc.oneof({ weight: 1, arbitrary: fc.double({ min: -180, max: 180, noNaN: true }) }, { weight: 4, arbitrary: decimalIn(179, true) }), fc.oneof(fc.double({ min: -185, max: 185, noNaN: true }), decimalText, primitive)),
  // Fields the schema does not know: ignored, whatever their (flat or nested) value.
  merchant: field(fc.oneof(ascii, fc.integer(), fc.boolean())),
  extra_1: field(fc.oneof(ascii, decimalText, fc.constant(null))),
};

const ws = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ');

function token(v: Value): string {
  if (v !== null && typeof v === 'object' && 'raw' in v && typeof v.raw === 'string') return v.raw;
  return JSON.stringify(v);
}

/** A body: a subset of the fields (required ones usually present), in any order, with any JSON whitespace. */
const body = fc
  .tuple(
    fc.record(Object.fromEntries(Object.entries(FIELDS).map(([k, a]) => [k, fc.option(a, { freq: ['id', 'cardId', 'terminalId', 'amount', 'timestamp'].includes(k) ? 40 : 2 })]))),
    fc.array(ws, { minLength: 64, maxLength: 64 }),
    fc.integer(),
    fc.option(fc.constantFrom('id', 'amount', 'merchant'), { freq: 20 }),
  )
  .map(([values, spaces, seed, duplicate]) => {
    const entries = Object.entries(values).filter(([, v]) => v !== null) as [string, Value][];
    // A deterministic shuffle by the seed.
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.abs(seed + i * 7919) % (i + 1);
      [entries[i], entries[j]] = [entries[j] as [string, Value], entries[i] as [string, Value]];
    }
    if (duplicate !== null) entries.push([duplicate, duplicate === 'amount' ? 1 : 'dup']);
    let s = 0;
    const sp = (): string => spaces[s++ % spaces.length] as string;
    return `${sp()}{${sp()}${entries.map(([k, v]) => `"${k}"${sp()}:${sp()}${token(v)}`).join(`${sp()},${sp()}`)}${sp()}}${sp()}`;
  });

function check(text: string, fast = parseTransactionFast, schema: JsonSchema = TransactionSchema): void {
  const buf = Buffer.from(text, 'utf8');
  const reference = general(buf, schema);
  const read = fast(buf);
  if (read !== undefined) {
    // The fast reader accepted: the general path accepts the same transaction.
    expect(reference).toStrictEqual({ ok: true, tx: read });
  } else if (reference.ok && isPlain(text)) {
    // A plain body the general path accepts must not need the general path.
    expect.fail(`the fast reader declined a plain valid body: ${text}`);
  }
}

/** Bodies in the form a client normally sends: ASCII strings without escapes, numbers without exponent, no repeat. */
function isPlain(text: string): boolean {
  if (/[^\x20-\x7e\t\n\r]|\\|[eE][+-]?\d|:\s*[[{]/.test(text)) return false;
  // A field named twice, or a number JSON.parse reads with more than 15 significant digits, stays general.
  const keys = [...text.matchAll(/"(\w+)"\s*:/g)].map((m) => m[1]);
  if (new Set(keys).size !== keys.length) return false;
  return true;
}

describe('the /v1/score single-pass reader', () => {
  it('accepts a typical body in one pass, with the transaction the general path reads', () => {
    const text = '{"id":"w1-7","cardId":"card-42","terminalId":"term-9","amount":105.25,"timestamp":1767225650001,"channel":"ONLINE","cardPresent":false}';
    const tx = parseTransactionFast(Buffer.from(text));
    expect(tx).toBeDefined();
    expect(general(Buffer.from(text))).toStrictEqual({ ok: true, tx });
    expect(tx).toMatchObject({ id: 'w1-7', cardId: 'card-42', amount: 105.25, timestampMs: 1767225650001, channel: 'ONLINE', cardPresent: false });
  });

  it('declines what it does not read itself, so the general path answers (and names the field)', () => {
    for (const text of [
      '{"id":"a\\u0041","cardId":"c","terminalId":"t","amount":1,"timestamp":1}',
      '{"id":"a","cardId":"c","terminalId":"t","amount":1e2,"timestamp":1}',
      '{"id":"a","cardId":"c","terminalId":"t","amount":1,"amount":2,"timestamp":1}',
      '{"id":"a","cardId":"c","terminalId":"t","amount":-1,"timestamp":1}',
      '{"id":"a","cardId":"c","terminalId":"t","amount":1}',
      '{"id":"a","cardId":"c","terminalId":"t","amount":1,"timestamp":1} x',
      '[1]',
      '',
    ]) {
      expect(parseTransactionFast(Buffer.from(text)), text).toBeUndefined();
    }
    expect(general(Buffer.from('{"id":"a","cardId":"c","terminalId":"t","amount":-1,"timestamp":1}'))).toMatchObject({ ok: false, field: 'amount' });
  });

  it('agrees with the general path on generated bodies (fast-check)', () => {
    fc.assert(fc.property(body, (text) => check(text)), { numRuns: 3000, seed: 11 });
    // The generator reaches both sides: many bodies the fast reader takes, many it leaves to the general path.
    const sample = fc.sample(body, { numRuns: 1000, seed: 11 });
    const taken = sample.filter((t) => parseTransactionFast(Buffer.from(t)) !== undefined).length;
    const accepted = sample.filter((t) => general(Buffer.from(t)).ok).length;
    expect(taken).toBeGreaterThan(100);
    expect(accepted - taken).toBeGreaterThan(20);
    expect(sample.length - accepted).toBeGreaterThan(200);
  });

  it('agrees on arbitrary JSON and on byte mutations of valid bodies (fast-check)', () => {
    fc.assert(fc.property(fc.json(), (text) => check(text)), { numRuns: 1000, seed: 12 });
    const valid = '{"id":"m-1","cardId":"card-1","terminalId":"t-1","amount":12.5,"timestamp":1767225600000,"mcc":5411,"lat":48.85,"lon":-2.35}';
    const bytes = fc.constantFrom(...'{}[]",:.-+eE0159 \\tnulfasX\u00e9'.split(''));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), bytes, fc.boolean()), { minLength: 1, maxLength: 3 }), (edits) => {
        let text = valid;
        for (const [at, c, insert] of edits) text = text.slice(0, at) + c + text.slice(insert ? at : at + 1);
        check(text);
      }),
      { numRuns: 3000, seed: 13 },
    );
  });

  it('the agreement check fails when the two disagree (a reference with amount at most 1e8)', () => {
    const stricter: JsonSchema = { ...TransactionSchema, properties: { ...TransactionSchema.properties, amount: { type: 'number', minimum: 0, maximum: 1e8 } } };
    const run = fc.check(fc.property(body, (text) => check(text, parseTransactionFast, stricter)), { numRuns: 3000, seed: 11 });
    expect(run.failed).toBe(true);
  });

  it('refuses to compile a schema keyword it does not interpret', () => {
    expect(() => compileFastTransactionParser({ ...TransactionSchema, additionalProperties: false })).toThrow(/additionalProperties/);
    expect(() => compileFastTransactionParser({ ...TransactionSchema, properties: { ...TransactionSchema.properties, amount: { type: 'number', const: 1 } } })).toThrow(/const of amount/);
    // The compiled rules are the schema's: a tighter schema makes the fast reader decline what it exceeds.
    const tight = compileFastTransactionParser({ ...TransactionSchema, properties: { ...TransactionSchema.properties, amount: { type: 'number', minimum: 0, maximum: 100 } } });
    expect(tight(Buffer.from('{"id":"a","cardId":"c","terminalId":"t","amount":150,"timestamp":1}'))).toBeUndefined();
    expect(tight(Buffer.from('{"id":"a","cardId":"c","terminalId":"t","amount":50,"timestamp":1}'))).toBeDefined();
  });
});
