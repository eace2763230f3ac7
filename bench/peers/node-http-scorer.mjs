// Peer (a) of bench/score-api.mjs: the same Rust scorer addon behind a plain node:http server, single process, no
// engine: each request is validated, written as one record and scored by one scoreBatch call on the main thread.
// Usage: node node-http-scorer.mjs PORT [MODEL]
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { RECORD_SIZE, RESULT_SIZE, RecordViews, ResultViews, validateTransaction } from '@fraudstream/schema';
import { Scorer, decodeReasons } from '@fraudstream/scorer';
import { decisionIdOf } from '@fraudstream/store';

const port = Number(process.argv[2]);
const modelPath = process.argv[3] ?? fileURLToPath(new URL('../../models/default.json', import.meta.url));
const scorer = Scorer.open();
scorer.loadModel(readFileSync(modelPath, 'utf8'));
const records = new RecordViews(new SharedArrayBuffer(RECORD_SIZE), 0, 1);
const results = new ResultViews(new SharedArrayBuffer(RESULT_SIZE), 0, 1);
let ticket = 0;

const reply = (res, status, value) => {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
};

http
  .createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/score') return reply(res, 404, { error: { code: 'not_found', message: 'no such route' } });
    const start = performance.now();
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= 16384) chunks.push(c);
    });
    req.on('end', () => {
      if (size > 16384) return reply(res, 413, { error: { code: 'payload_too_large', message: 'body over 16 KiB' } });
      let value;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(res, 400, { error: { code: 'malformed_json', message: 'request body must be valid JSON' } });
      }
      const v = validateTransaction(value);
      if (!v.ok) return reply(res, 400, { error: { code: v.error.code, message: v.error.message, field: v.error.field } });
      records.writeTransaction(0, v.value, performance.timeOrigin + performance.now());
      scorer.scoreBatch(records.u8, results.u8, 0, 1, ticket++);
      reply(res, 200, {
        id: v.value.id,
        decisionId: decisionIdOf(v.value.id),
        score: results.score(0),
        decision: results.decision(0),
        reasons: decodeReasons(results.u8, 0),
        modelVersion: 'default',
        latencyUs: Math.round((performance.now() - start) * 1000),
      });
    });
  })
  .listen(port, '127.0.0.1', () => console.log('READY'));
