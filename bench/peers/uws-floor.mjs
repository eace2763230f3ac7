// The floor of POST /v1/score on this machine: uWS reading each body and answering a fixed 140-byte JSON (no parse, no
// engine), in the server's pattern (onAborted + onData, the answer from setImmediate in one cork). What the kernel,
// loopback TCP and uWS cost per request whatever the server does. THREADS uWS apps in worker threads share the port
// (SO_REUSEPORT, uWS's default listen). Run wrk against it as bench/score-api.mjs does.
// Usage: node uws-floor.mjs PORT [THREADS]
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../apps/server/package.json', import.meta.url));
if (isMainThread) {
  const [port, threads = 1] = process.argv.slice(2).map(Number);
  if (!(port > 0)) throw new Error('usage: uws-floor.mjs PORT [THREADS]');
  for (let i = 0; i < threads; i++) new Worker(new URL(import.meta.url), { workerData: { port } });
  console.log('READY');
} else {
  const uWS = require('uWebSockets.js');
  const body = '{"id":"x","decisionId":"0123456789abcdef","score":0.01,"decision":"APPROVE","reasons":[],"modelVersion":"m","latencyUs":12,"outcome":"scored"}';
  const app = uWS.App();
  app.any('/*', (res) => {
    res.onAborted(() => {});
    res.onData((_chunk, last) => {
      if (!last) return;
      setImmediate(() => res.cork(() => res.writeHeader('Content-Type', 'application/json').end(body, false)));
    });
  });
  app.listen('127.0.0.1', workerData.port, (s) => {
    if (!s) throw new Error(`cannot listen on ${workerData.port}`);
  });
}
