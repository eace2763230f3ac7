import { HttpError, type HttpErrorCode } from './errors.js';

/**
 * The subset of JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) the server's request validator interprets.
 * The same objects are written into the OpenAPI document, so what the document promises is what the server checks.
 */
export interface JsonSchema {
  type?: JsonType | readonly JsonType[];
  description?: string;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  /** `false` refuses unknown properties (400 `unknown_field`); other values are not interpreted. */
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: readonly (string | number | boolean | null)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  /** Valid when any branch is; the server reports the first branch's error when none is. */
  anyOf?: readonly JsonSchema[];
  /** A reference into `#/components/schemas/` (documents only; the validator never follows it). */
  $ref?: string;
  format?: string;
  examples?: readonly unknown[];
  const?: unknown;
  maxItems?: number;
}

/** The JSON types a schema may name. */
export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** One violation of a schema: the HTTP error code, the field path (`a.b`, empty for the whole body) and a sentence. */
export interface SchemaViolation {
  code: HttpErrorCode;
  field: string;
  message: string;
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

function matchesType(value: unknown, type: JsonType): boolean {
  const actual = typeOf(value);
  if (actual === type) return true;
  // Every integer is a number; NaN and Infinity never reach here (JSON has neither).
  return type === 'number' && actual === 'integer';
}

const patterns = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    patterns.set(pattern, re);
  }
  return re;
}

function describeTypes(types: readonly JsonType[]): string {
  const names = types.map((t) => (t === 'integer' ? 'an integer' : t === 'object' || t === 'array' ? `an ${t}` : `a ${t}`));
  return names.join(' or ');
}

/**
 * Checks `value` against `schema`; returns the first violation, or undefined when it conforms. Field paths name
 * nested properties with dots and array items with their index (`errors.0.line`).
 */
export function checkSchema(schema: JsonSchema, value: unknown, path = ''): SchemaViolation | undefined {
  const label = path === '' ? 'the body' : path;
  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => matchesType(value, t))) {
      const code: HttpErrorCode = path === '' ? 'invalid_body' : 'invalid_type';
      return { code, field: path, message: `${label} must be ${describeTypes(types)}` };
    }
  }
  if (schema.const !== undefined && value !== schema.const) {
    return { code: 'out_of_range', field: path, message: `${label} must be ${JSON.stringify(schema.const)}` };
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string)) {
    return { code: 'out_of_range', field: path, message: `${label} must be one of ${schema.enum.join(', ')}` };
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      return { code: 'out_of_range', field: path, message: `${label} must be at least ${schema.minimum}` };
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      return { code: 'out_of_range', field: path, message: `${label} must be at most ${schema.maximum}` };
    }
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      const what = schema.minLength === 1 ? 'must not be empty' : `must have at least ${schema.minLength} characters`;
      return { code: schema.minLength === 1 ? 'missing_field' : 'out_of_range', field: path, message: `${label} ${what}` };
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      return { code: 'out_of_range', field: path, message: `${label} must have at most ${schema.maxLength} characters` };
    }
    if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) {
      const hint = schema.description === undefined ? `match ${schema.pattern}` : `be ${schema.description}`;
      return { code: 'invalid_format', field: path, message: `${label} must ${hint}` };
    }
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      return { code: 'out_of_range', field: path, message: `${label} must have at most ${schema.maxItems} items` };
    }
    if (schema.items !== undefined) {
      for (let i = 0; i < value.length; i++) {
        const v = checkSchema(schema.items, value[i], path === '' ? String(i) : `${path}.${i}`);
        if (v !== undefined) return v;
      }
    }
  }
  if (typeOf(value) === 'object') {
    const record = value as Record<string, unknown>;
    const properties = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (record[name] === undefined) {
        return { code: 'missing_field', field: join(path, name), message: `${join(path, name)} is required` };
      }
    }
    if (schema.additionalProperties === false) {
      for (const key of Object.keys(record)) {
        if (!Object.hasOwn(properties, key)) {
          const accepted = Object.keys(properties).join(', ');
          return { code: 'unknown_field', field: join(path, key), message: `unknown field ${JSON.stringify(key)}; accepted: ${accepted}` };
        }
      }
    }
    for (const [name, sub] of Object.entries(properties)) {
      if (!Object.hasOwn(record, name) || record[name] === undefined) continue;
      const v = checkSchema(sub, record[name], join(path, name));
      if (v !== undefined) return v;
    }
  }
  // Alternatives last, so that a wrong type or a missing common field is reported as such first.
  if (schema.anyOf !== undefined) {
    let first: SchemaViolation | undefined;
    for (const branch of schema.anyOf) {
      const v = checkSchema(branch, value, path);
      if (v === undefined) {
        first = undefined;
        break;
      }
      first ??= v;
    }
    if (first !== undefined) {
      return schema.description === undefined ? first : { ...first, message: `${first.message} (${schema.description})` };
    }
  }
  return undefined;
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** Parses a JSON body and checks it against `schema`, throwing the 400 `HttpError` of the first violation. */
export function parseBody<T>(body: Buffer | string, schema: JsonSchema): T {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'request body must be valid JSON');
  }
  assertSchema(schema, value);
  return value as T;
}

/** Throws the 400 `HttpError` of the first violation of `schema` by `value`. */
export function assertSchema(schema: JsonSchema, value: unknown): void {
  const v = checkSchema(schema, value);
  if (v !== undefined) {
    throw new HttpError(400, v.code, v.message, v.field === '' ? {} : { field: v.field });
  }
}
