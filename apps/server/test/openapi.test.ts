import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../src/api-routes.js';
import { COMPONENT_SCHEMAS, ErrorSchema } from '../src/api-schemas.js';
import { checkSchema, type JsonSchema } from '../src/json-schema.js';
import { openApiDocument, openApiText } from '../src/openapi.js';
import { startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { createTestSystem } from './utils/real-system.js';

const COMMITTED = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));

type Doc = { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>> };

async function validate(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const validator = new Validator();
  // A fresh copy: the validator may annotate the object it is given.
  return validator.validate(JSON.parse(JSON.stringify(document)) as Parameters<Validator["validate"]>[0]);
}

describe('the OpenAPI document', () => {
  it('is committed as generated (run `pnpm --filter @fraudstream/server openapi` after changing a schema)', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(openApiText());
  });

  it('is a valid OpenAPI 3.1 document for a real validator, which refuses a broken copy', async () => {
    const result = await validate(openApiDocument());
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    // The check can fail: a response without its required description, and a bad version, are refused.
    const broken = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, Record<string, unknown>> }>> };
    delete broken.paths['/v1/score']?.['post']?.responses['200']?.['description'];
    expect((await validate(broken)).valid).toBe(false);
    expect((await validate({ ...openApiDocument(), openapi: 'three' })).valid).toBe(false);
  });

  it('covers every route the server answers, /ws and the static root included', () => {
    const doc = openApiDocument() as Doc;
    const routes = apiRoutes({} as FraudSystem, undefined, '{}');
    const documented = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
    for (const [path, route] of routes) {
      for (const method of Object.keys(route).filter((k) => k === 'get' || k === 'post' || k === 'put')) {
        expect(doc.paths[documented(path)]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
      }
    }
    expect(doc.paths['/ws']?.['get']).toBeDefined();
    expect(doc.paths['/']?.['get']).toBeDefined();
    // And nothing the server does not answer.
    const served = new Set([...routes.keys()].map(documented));
    for (const path of Object.keys(doc.paths)) expect(served.has(path) || path === '/ws' || path === '/', path).toBe(true);
  });

  it('takes its schemas from the objects the validator uses (one source of truth)', () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, JsonSchema> } };
    for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS)) expect(doc.components.schemas[name]).toBe(schema);
  });
});

describe('requests that violate the document', () => {
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

  const expectErrorShape = (status: number, body: unknown, expected: number): void => {
    expect(status).toBe(expected);
    expect(checkSchema(ErrorSchema, body), JSON.stringify(body)).toBeUndefined();
  };

  it('serves the document at GET /openapi.json', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(openApiText());
  });

  it('get the one error shape, with the field named, on every route with a JSON body', async () => {
    const doc = openApiDocument() as Doc;
    // Routes with a path parameter are exercised by their own tests (the case routes: case-api tests).
    const jsonRoutes = Object.entries(doc.paths).filter(
      ([p, ops]) => !p.includes('{') && ops['post']?.requestBody?.content['application/json'] !== undefined,
    );
    expect(jsonRoutes.map(([p]) => p).sort()).toEqual(['/api/generator', '/api/scenario', '/api/thresholds', '/v1/labels', '/v1/score']);
    for (const [path] of jsonRoutes) {
      for (const [body, code] of [
        ['not json', 'malformed_json'],
        ['[1]', 'invalid_body'],
        ['{}', 'missing_field'],
      ] as const) {
        const response = await fetch(`${base}${path}`, { method: 'POST', body });
        const json = (await response.json()) as { error: { code: string; field?: string } };
        expectErrorShape(response.status, json, 400);
        expect(json.error.code, `${path} ${body}`).toBe(code);
        if (code === 'missing_field') expect(typeof json.error.field).toBe('string');
      }
    }
  });

  it('names the field for a wrong type, a value out of range and a bad format', async () => {
    const tx = { id: 't1', cardId: 'c1', terminalId: 'm1', amount: 10, timestamp: '2026-01-01T00:00:00Z' };
    const cases: [string, unknown, string, string][] = [
      ['/v1/score', { ...tx, amount: 'ten' }, 'invalid_type', 'amount'],
      ['/v1/score', { ...tx, amount: -1 }, 'out_of_range', 'amount'],
      ['/v1/score', { ...tx, currency: 'euro' }, 'invalid_format', 'currency'],
      ['/v1/score', { ...tx, channel: 'MAIL' }, 'out_of_range', 'channel'],
      ['/v1/score', { ...tx, timestamp: 'yesterday' }, 'invalid_format', 'timestamp'],
      ['/v1/labels', { transactionId: 't1', fraud: 'yes' }, 'invalid_type', 'fraud'],
      ['/v1/labels', { fraud: true }, 'missing_field', 'transactionId'],
      ['/v1/labels', { transactionId: 't1', fraud: true, note: 1 }, 'unknown_field', 'note'],
      ['/api/generator', { tps: 0 }, 'out_of_range', 'tps'],
    ];
    for (const [path, body, code, field] of cases) {
      const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
      const json = (await response.json()) as { error: { code: string; field?: string; message: string } };
      expectErrorShape(response.status, json, 400);
      expect([json.error.code, json.error.field], JSON.stringify(body)).toEqual([code, field]);
      expect(json.error.message).toContain(field);
    }
  });

  it('answers 404, 405, 413 and 426 in the same shape', async () => {
    for (const [path, init, status] of [
      ['/api/nope', {}, 404],
      ['/v1/score', {}, 405],
      ['/v1/score', { method: 'POST', body: 'x'.repeat(20_000) }, 413],
      // A transaction document is bounded tighter than other JSON bodies: 4 KiB, as on every input path.
      ['/v1/score', { method: 'POST', body: `{"id":"${'x'.repeat(5000)}"}` }, 413],
      ['/v1/labels', { method: 'POST', body: 'x'.repeat(20_000) }, 413],
      ['/ws', {}, 426],
    ] as const) {
      const response = await fetch(`${base}${path}`, init);
      expectErrorShape(response.status, await response.json(), status);
    }
  });
});
