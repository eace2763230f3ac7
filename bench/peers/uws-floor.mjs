// The floor of POST /v1/score on this machine: uWS reading each body and answering a fixed 140-byte JSON (no parse, no
// engine), in the server's pattern (onAborted + onData, the answer from setImmediate in one cork). What the kernel,
// loopback TCP and uWS cost per request whatever the server does. THREADS uWS apps in worker threads share the port
// (SO_REUSEPORT, uWS's default listen). With `read`, each thread also does the server's per-request work short of
// scoring: the one-pass body reader, the decision id (SHA-256), the answer's JSON and headers (needs `pnpm build`): the
// ceiling of a design with the HTTP work on several threads. Run wrk against it as bench/score-api.mjs does.
// Usage: node uws-floor.mjs PORT [THREADS] [read]
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../apps/server/package.json', import.meta.url));
if (isMainThread) {
  const [port, threads = 1] = process.argv.slice(2, 4).map(Number);
  const read = process.argv[4] === 'read';
  if (!(port > 0)) throw new Error('usage: uws-floor.mjs PORT [THREADS] [read]');
  for (let i = 0; i < threads; i++) new Worker(new URL(import.meta.url), { workerData: { port, read } });
  console.log('READY');
} else {
  const uWS = require('uWebSockets.js');
  const fixed = '{"id":"x","decisionId":"0123456789abcdef","score":0.01,"decision":"APPROVE","reasons":[],"modelVersion":"m","latencyUs":12,"outcome":"scored"}';
  const server = workerData.read ? await import('../../apps/server/dist/transaction-fast-path.js') : undefined;
  const response = workerData.read ? await import('../../apps/server/dist/score-response.js') : undefined;
  const { decisionIdOf } = workerData.read ? await import('@fraudstream/store') : {};
  const app = uWS.App();
  let n = 0;
  app.any('/*', (res, req) => {
    const requestId = workerData.read ? `r-${(n++).toString(36)}` : '';
    req.getHeader('host');
    res.onAborted(() => {});
    res.onData((chunk, last) => {
      if (!last) return;
      let body = fixed;
      if (server !== undefined) {
        const tx = server.parseTransactionFast(Buffer.from(chunk));
        if (tx === undefined) throw new Error('the floor reads only plain valid bodies');
        body = response.scoreResponseJson(JSON.stringify(tx.id), decisionIdOf(tx.id), 0.01, 'APPROVE', '[]', '"m"', 12, 'scored');
      }
      setImmediate(() =>
        res.cork(() => {
          if (requestId !== '') res.writeHeader('X-Request-Id', requestId).writeHeader('Cache-Control', 'no-store').writeHeader('X-Content-Type-Options', 'nosniff');
          res.writeHeader('Content-Type', 'application/json').end(body, false);
        }),
      );
    });
  });
  app.listen('127.0.0.1', workerData.port, (s) => {
    if (!s) throw new Error(`cannot listen on ${workerData.port}`);
  });
}
