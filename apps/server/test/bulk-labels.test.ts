import { createSystem, type System } from '@fraudstream/system';
import { afterEach, describe, expect, it } from 'vitest';
import { BulkSummarySchema } from '../src/api-schemas.js';
import { MAX_LISTED_ERRORS, type BulkSummary } from '../src/bulk-ingest.js';
import { checkSchema } from '../src/json-schema.js';
import { startServer, type RunningServer, type ScoringOptions, type Stats } from '../src/index.js';
import type { ApiStats } from '../src/score-api.js';
import { waitFor } from './utils/real-system.js';

// POST /v1/transactions (NDJSON) and POST /v1/labels against the real system. The generator is never started: every
// record in the engine comes from these requests.

type ServedStats = Stats & { api: ApiStats };

let open: RunningServer[] = [];

async function serve(scoring: ScoringOptions = {}, capacity?: number, token?: string): Promise<{ system: System; base: string }> {
  const system = await createSystem(
    { source: { kind: 'generator', tps: 1000, seed: 3 }, workers: 2 },
    capacity === undefined ? {} : { capacity, maxBatch: 8 },
  );
  // A generous deadline unless a test sets one: an answer must never depend on how busy the machine is.
  const server = await startServer({ system, port: 0, pushIntervalMs: 1000, scoring: { deadlineMs: 30_000, ...scoring }, ...(token === undefined ? {} : { token }) });
  open.push(server);
  return { system, base: `http://127.0.0.1:${server.port}` };
}

afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});

function tx(i: number, card = `card-${i % 50}`): Record<string, unknown> {
  return { id: `bulk-${i}`, cardId: card, terminalId: `term-${i % 7}`, amount: 5 + (i % 300), timestamp: Date.UTC(2026, 1, 1, 0, 0, i) };
}

async function stats(base: string): Promise<ServedStats> {
  return (await (await fetch(`${base}/api/stats`)).json()) as ServedStats;
}

async function postNdjson(base: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/transactions`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/x-ndjson', ...headers },
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
}

describe('POST /v1/transactions', () => {
  it('accepts the good lines and lists the bad ones by line number and field', async () => {
    const { base } = await serve();
    const lines = [
      JSON.stringify(tx(1)),
      '{"id": "x", "cardId": "c"', // line 2: not JSON
      JSON.stringify({ ...tx(3), amount: 'much' }), // line 3
      '', // line 4: blank, skipped
      JSON.stringify(tx(5)),
      JSON.stringify({ ...tx(6), terminalId: undefined }), // line 6
      JSON.stringify({ ...tx(7), timestamp: 'not a date' }), // line 7
      `{"id":"${'x'.repeat(5000)}"}`, // line 8: over the 4 KiB line bound
      JSON.stringify(tx(9)),
    ];
    const response = await postNdjson(base, `${lines.join('\r\n')}\n`);
    expect(response.status).toBe(200);
    const summary = (await response.json()) as BulkSummary;
    expect(checkSchema(BulkSummarySchema, summary)).toBeUndefined();
    expect(summary.accepted).toBe(3);
    expect(summary.rejected).toBe(5);
    expect(summary.errors.map((e) => [e.line, e.field])).toEqual([
      [2, '$'],
      [3, 'amount'],
      [6, 'terminalId'],
      [7, 'timestamp'],
      [8, '$'],
    ]);
    await waitFor(async () => (await stats(base)).counts.scored === 3);
    const s = await stats(base);
    expect([s.counts.written, s.counts.rejected]).toEqual([3, 5]);
    expect(s.api.bulk).toEqual({ requests: 1, accepted: 3, rejected: 5, pauses: 0 });
    expect(s.laws.ok).toBe(true);
  });

  it('caps the listed errors and counts the rest', async () => {
    const { base } = await serve();
    const body = Array.from({ length: MAX_LISTED_ERRORS + 20 }, () => '{"bad": true}').join('\n');
    const summary = (await (await postNdjson(base, body)).json()) as BulkSummary;
    expect(summary.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(summary.errorsOmitted).toBe(20);
    expect(summary.rejected).toBe(MAX_LISTED_ERRORS + 20);
  });

  it('streams: a body far larger than the ring is taken in with backpressure, nothing dropped', async () => {
    // A 64-slot ring and 3,000 lines sent in small chunks: the reader must wait for the engine again and again.
    // Workers only: inline scoring of small batches (inlineMaxBatch) keeps such a small ring from ever filling.
    const { base } = await serve({ inlineMaxBatch: 0 }, 64);
    const n = 3000;
    const encoder = new TextEncoder();
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i >= n) {
          controller.close();
          return;
        }
        const chunk = Array.from({ length: 100 }, () => `${JSON.stringify(tx(i++))}\n`).join('');
        controller.enqueue(encoder.encode(chunk));
      },
    });
    const response = await postNdjson(base, stream);
    const summary = (await response.json()) as BulkSummary;
    expect(summary).toEqual({ accepted: n, rejected: 0, errors: [], errorsOmitted: 0 });
    await waitFor(async () => (await stats(base)).counts.scored === n);
    const s = await stats(base);
    expect(s.counts.written).toBe(n);
    expect(s.queue.capacity).toBe(64);
    // The ring really filled up: the upload was paused (backpressure) rather than anything dropped.
    expect(s.api.bulk.pauses).toBeGreaterThan(0);
    expect(s.laws).toEqual({ ok: true, violations: [] });
  });

  it('is bounded in lines and bytes (413 in the one error shape)', async () => {
    const { base } = await serve({ maxBulkLines: 5, maxBulkBytes: 4096 });
    const tooManyLines = Array.from({ length: 8 }, (_, i) => JSON.stringify(tx(i))).join('\n');
    const r1 = await postNdjson(base, tooManyLines);
    expect(r1.status).toBe(413);
    expect(((await r1.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'payload_too_large' });
    const r2 = await postNdjson(base, 'x'.repeat(5000));
    expect(r2.status).toBe(413);
  });
});

describe('POST /v1/labels', () => {
  it('feeds a chargeback into the engine as a label record: labels.applied rises', async () => {
    const { base } = await serve();
    const scored = await fetch(`${base}/v1/score`, { method: 'POST', body: JSON.stringify(tx(1, 'card-L')) });
    expect(scored.status).toBe(200);
    const before = await stats(base);
    expect(before.counts.labels.applied).toBe(0);

    const byId = await fetch(`${base}/v1/labels`, { method: 'POST', body: JSON.stringify({ transactionId: 'bulk-1', fraud: true }) });
    expect(byId.status).toBe(202);
    expect(await byId.json()).toEqual({ accepted: true, matchedBy: 'transactionId' });
    const byCard = await fetch(`${base}/v1/labels`, {
      method: 'POST',
      body: JSON.stringify({ cardId: 'card-L', terminalId: 'term-1', timestamp: '2026-02-01T00:00:01Z', fraud: false }),
    });
    expect(byCard.status).toBe(202);
    expect(await byCard.json()).toEqual({ accepted: true, matchedBy: 'card' });

    await waitFor(async () => (await stats(base)).counts.labels.applied === 2);
    const s = await stats(base);
    expect(s.counts.labels.written).toBe(2);
    // The label by id carried the transaction's ingest sequence number, so live quality joined it with its decision.
    expect(s.quality.labelled).toBe(1);
    expect(s.api.labels).toEqual({ accepted: 2, unknown: 0 });
    expect(s.laws.ok).toBe(true);
  });

  it('answers 404 for a transaction id it never took in, and 400 for a bad label', async () => {
    const { base } = await serve();
    const unknown = await fetch(`${base}/v1/labels`, { method: 'POST', body: JSON.stringify({ transactionId: 'never-seen', fraud: true }) });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { field: string } }).error.field).toBe('transactionId');
    const partial = await fetch(`${base}/v1/labels`, { method: 'POST', body: JSON.stringify({ cardId: 'c', fraud: true }) });
    expect(partial.status).toBe(400);
    expect(((await partial.json()) as { error: { code: string } }).error.code).toBe('missing_field');
    const s = await stats(base);
    expect(s.counts.labels.written).toBe(0);
    expect(s.api.labels.unknown).toBe(1);
  });
});

describe('auth on the /v1 routes', () => {
  it('needs the token when one is set, and refuses cross-origin posts', async () => {
    const { base } = await serve({}, undefined, 'sekret');
    const body = JSON.stringify(tx(1));
    for (const path of ['/v1/score', '/v1/labels']) {
      expect((await fetch(`${base}${path}`, { method: 'POST', body })).status).toBe(401);
    }
    const bulk = await postNdjson(base, body);
    expect(bulk.status).toBe(401);
    expect(((await bulk.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const auth = { Authorization: 'Bearer sekret' };
    const crossOrigin = await fetch(`${base}/v1/score`, { method: 'POST', body, headers: { ...auth, Origin: 'http://evil.example' } });
    expect(crossOrigin.status).toBe(403);
    const crossBulk = await postNdjson(base, body, { ...auth, Origin: 'http://evil.example' });
    expect(crossBulk.status).toBe(403);
    const ok = await fetch(`${base}/v1/score`, { method: 'POST', body, headers: auth });
    expect(ok.status).toBe(200);
    expect((await postNdjson(base, body, auth)).status).toBe(200);
    expect((await stats(base)).counts.written).toBe(2);
  });
});
