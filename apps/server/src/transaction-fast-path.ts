import { validateTransaction, type Transaction } from '@fraudstream/schema';
import { TransactionSchema } from './api-schemas.js';
import type { JsonSchema, JsonType } from './json-schema.js';

/**
 * The single-pass reader of one `POST /v1/score` body: scans the bytes of a flat JSON object once (no `JSON.parse`,
 * no generic object walk), checks each field by rules COMPILED FROM `TransactionSchema` (the one source of truth, the
 * same object the OpenAPI document and the general validator read), then applies the schema package's own rules
 * (`validateTransaction`). It only ever ACCEPTS: on anything it does not handle (an escape or a non-ASCII byte in a
 * string, a nested value, a duplicate field, a number with an exponent) or any violation it answers `undefined`, and
 * the caller takes the general path (`JSON.parse` + `checkSchema` + `validateTransaction`), which produces the error
 * naming the field. A property test checks that the two accept the same bodies with the same transaction.
 */
export type FastTransactionParser = (body: Uint8Array) => Transaction | undefined;

/** One property of the schema as the fast path checks it. */
interface FieldRule {
  name: string;
  /** The name's bytes, compared against a key's bytes without decoding the key. */
  bytes: Uint8Array;
  types: ReadonlySet<JsonType>;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  enum?: readonly unknown[];
}

/** Keywords of a property schema the compiled checks interpret; any other one is refused at compile time. */
const FIELD_KEYWORDS = new Set(['type', 'description', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'enum', 'examples', 'format']);
/** Keywords of the object schema the fast path interprets (no additionalProperties, anyOf, ... : those stay general). */
const OBJECT_KEYWORDS = new Set(['type', 'description', 'required', 'properties', 'examples']);

/**
 * Compiles the fast reader for a flat object schema (TransactionSchema by default). Throws at compile time when the
 * schema uses a keyword the compiled checks do not interpret, so a schema change can never be silently skipped.
 */
export function compileFastTransactionParser(schema: JsonSchema = TransactionSchema): FastTransactionParser {
  for (const key of Object.keys(schema)) {
    if (!OBJECT_KEYWORDS.has(key)) throw new Error(`fast path: the object keyword ${key} is not compiled`);
  }
  if (schema.type !== 'object') throw new Error('fast path: the schema must be of type object');
  const rules: FieldRule[] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    for (const key of Object.keys(sub)) {
      if (!FIELD_KEYWORDS.has(key)) throw new Error(`fast path: keyword ${key} of ${name} is not compiled`);
    }
    if (sub.type === undefined) throw new Error(`fast path: ${name} has no type`);
    const types = typeof sub.type === 'string' ? [sub.type] : sub.type;
    for (const t of types) {
      if (t === 'object' || t === 'array' || t === 'null') throw new Error(`fast path: type ${t} of ${name} is not compiled`);
    }
    if (!/^[\x21-\x7e]+$/.test(name) || name.includes('"') || name.includes('\\')) throw new Error(`fast path: property name ${name} is not plain ASCII`);
    rules.push({
      name,
      bytes: Buffer.from(name, 'latin1'),
      types: new Set(types),
      ...(sub.minimum === undefined ? {} : { minimum: sub.minimum }),
      ...(sub.maximum === undefined ? {} : { maximum: sub.maximum }),
      ...(sub.minLength === undefined ? {} : { minLength: sub.minLength }),
      ...(sub.maxLength === undefined ? {} : { maxLength: sub.maxLength }),
      ...(sub.pattern === undefined ? {} : { pattern: new RegExp(sub.pattern, 'u') }),
      ...(sub.enum === undefined ? {} : { enum: sub.enum }),
    });
  }
  if (rules.length > 30) throw new Error('fast path: at most 30 properties (a bit mask tracks them)');
  let requiredMask = 0;
  for (const name of schema.required ?? []) {
    const i = rules.findIndex((r) => r.name === name);
    if (i === -1) throw new Error(`fast path: required ${name} is not a property`);
    requiredMask |= 1 << i;
  }
  const reader = new FlatObjectReader(rules);
  return (body) => {
    const values = reader.read(body);
    if (values === undefined || (reader.seen & requiredMask) !== requiredMask) return undefined;
    for (let i = 0; i < rules.length; i++) {
      if ((reader.seen & (1 << i)) !== 0 && !conforms(rules[i] as FieldRule, values[(rules[i] as FieldRule).name])) return undefined;
    }
    const v = validateTransaction(values);
    return v.ok ? v.value : undefined;
  };
}

/** The JSON type of a scanned primitive (as json-schema.ts's typeOf). */
function typeOf(value: unknown): JsonType {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/** The checks of `checkSchema` for one primitive value, as a yes/no (a no sends the body to the general path). */
function conforms(rule: FieldRule, value: unknown): boolean {
  const actual = typeOf(value);
  if (!rule.types.has(actual) && !(actual === 'integer' && rule.types.has('number'))) return false;
  if (rule.enum !== undefined && !rule.enum.includes(value)) return false;
  if (typeof value === 'number') {
    if (rule.minimum !== undefined && value < rule.minimum) return false;
    if (rule.maximum !== undefined && value > rule.maximum) return false;
  } else if (typeof value === 'string') {
    if (rule.minLength !== undefined && value.length < rule.minLength) return false;
    if (rule.maxLength !== undefined && value.length > rule.maxLength) return false;
    if (rule.pattern !== undefined && !rule.pattern.test(value)) return false;
  }
  return true;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Exact powers of ten (10^0..10^22 are exact doubles). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Node's Buffer with its latin1 decoder called directly (`toString('latin1', …)` without the encoding lookup). */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };
const EMPTY = Buffer.alloc(0) as Latin1Buffer;

/** No value: the reader gave up (the general path decides). */
const GIVE_UP = Symbol('give up');

/**
 * Scans one flat JSON object of strings, numbers, booleans and nulls; keeps the values of the known properties.
 * Gives up (returns undefined) on anything else; never throws on any input.
 */
class FlatObjectReader {
  /** Bit i set: property i was present in the last body read. */
  seen = 0;
  private buf: Latin1Buffer = EMPTY;
  private pos = 0;

  /** Candidate rule indexes by key length and first byte (`length * 128 + byte`), so a key is compared with few names. */
  private readonly byHead = new Map<number, number[]>();

  constructor(private readonly rules: readonly FieldRule[]) {
    rules.forEach((r, i) => {
      const head = r.bytes.length * 128 + (r.bytes[0] as number);
      const list = this.byHead.get(head);
      if (list === undefined) this.byHead.set(head, [i]);
      else list.push(i);
    });
  }

  read(body: Uint8Array): Record<string, unknown> | undefined {
    this.buf = (Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)) as Latin1Buffer;
    this.pos = 0;
    this.seen = 0;
    try {
      return this.object();
    } finally {
      this.buf = EMPTY;
    }
  }

  private object(): Record<string, unknown> | undefined {
    const buf = this.buf;
    const values: Record<string, unknown> = {};
    this.ws();
    if (buf[this.pos] !== OPEN) return undefined;
    this.pos++;
    this.ws();
    if (buf[this.pos] === CLOSE) {
      this.pos++;
      return this.end(values);
    }
    for (;;) {
      if (buf[this.pos] !== QUOTE) return undefined;
      const keyStart = ++this.pos;
      const keyEnd = this.stringEnd();
      if (keyEnd === -1) return undefined;
      this.pos = keyEnd + 1;
      this.ws();
      if (buf[this.pos] !== COLON) return undefined;
      this.pos++;
      this.ws();
      const value = this.value();
      if (value === GIVE_UP) return undefined;
      const index = this.known(keyStart, keyEnd);
      if (index !== -1) {
        const bit = 1 << index;
        // A repeated property: JSON.parse keeps the last one; the general path decides.
        if ((this.seen & bit) !== 0) return undefined;
        this.seen |= bit;
        values[(this.rules[index] as FieldRule).name] = value;
      }
      this.ws();
      const c = buf[this.pos];
      this.pos++;
      if (c === CLOSE) return this.end(values);
      if (c !== COMMA) return undefined;
      this.ws();
    }
  }

  /** Only whitespace may follow the object. */
  private end(values: Record<string, unknown>): Record<string, unknown> | undefined {
    this.ws();
    return this.pos === this.buf.length ? values : undefined;
  }

  private ws(): void {
    const buf = this.buf;
    let p = this.pos;
    for (;;) {
      const c = buf[p];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /** From just after an opening quote: the index of the closing quote, or -1 (escape, control or non-ASCII byte, end). */
  private stringEnd(): number {
    const buf = this.buf;
    for (let p = this.pos; p < buf.length; p++) {
      const c = buf[p] as number;
      if (c === QUOTE) return p;
      if (c === BACKSLASH || c < 0x20 || c >= 0x80) return -1;
    }
    return -1;
  }

  /** The index of the rule whose name is the key's bytes, or -1. */
  private known(start: number, end: number): number {
    const buf = this.buf;
    const n = end - start;
    if (n === 0) return -1;
    const candidates = this.byHead.get(n * 128 + (buf[start] as number));
    if (candidates === undefined) return -1;
    outer: for (const i of candidates) {
      const name = (this.rules[i] as FieldRule).bytes;
      for (let j = 1; j < n; j++) if (name[j] !== buf[start + j]) continue outer;
      return i;
    }
    return -1;
  }

  private value(): unknown {
    const buf = this.buf;
    const c = buf[this.pos];
    if (c === QUOTE) {
      const start = ++this.pos;
      const end = this.stringEnd();
      if (end === -1) return GIVE_UP;
      this.pos = end + 1;
      return this.buf.latin1Slice(start, end);
    }
    if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return this.number();
    if (this.literal('true')) return true;
    if (this.literal('false')) return false;
    if (this.literal('null')) return null;
    return GIVE_UP;
  }

  private literal(word: string): boolean {
    const buf = this.buf;
    for (let j = 0; j < word.length; j++) if (buf[this.pos + j] !== word.charCodeAt(j)) return false;
    this.pos += word.length;
    return true;
  }

  /**
   * A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`. Up to 15 significant digits it is computed as m / 10^k, which is
   * the correctly rounded double (m and 10^k exact), i.e. what JSON.parse gives; an exponent or longer mantissa is
   * read by Number() of its text, which JSON.parse matches for JSON's grammar.
   */
  private number(): unknown {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    const negative = buf[p] === MINUS;
    if (negative) p++;
    let mantissa = 0;
    let digits = 0;
    const first = buf[p];
    if (first === ZERO) {
      p++;
    } else if (first !== undefined && first > ZERO && first <= NINE) {
      while (p < buf.length && (buf[p] as number) >= ZERO && (buf[p] as number) <= NINE) {
        mantissa = mantissa * 10 + ((buf[p] as number) - ZERO);
        digits++;
        p++;
      }
    } else {
      return GIVE_UP;
    }
    let scale = 0;
    if (buf[p] === DOT) {
      p++;
      const fracStart = p;
      while (p < buf.length && (buf[p] as number) >= ZERO && (buf[p] as number) <= NINE) {
        mantissa = mantissa * 10 + ((buf[p] as number) - ZERO);
        if (mantissa !== 0) digits++;
        p++;
      }
      scale = p - fracStart;
      if (scale === 0) return GIVE_UP;
    }
    const next = buf[p];
    // An exponent, or a digit after a leading 0 (not JSON): the general path.
    if (next === 0x65 || next === 0x45 || (next !== undefined && next >= ZERO && next <= NINE)) return GIVE_UP;
    this.pos = p;
    if (digits <= 15 && scale <= 22) {
      const magnitude = scale === 0 ? mantissa : mantissa / (POW10[scale] as number);
      return negative ? -magnitude : magnitude;
    }
    return Number(this.buf.latin1Slice(start, p));
  }
}

/** The fast reader of TransactionSchema, compiled once. */
export const parseTransactionFast: FastTransactionParser = compileFastTransactionParser();
