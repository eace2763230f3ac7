// Open-loop (fixed-rate, wrk2-style) load for POST /v1/score: request k is due at start + k / rate whatever happened
// to earlier ones, and its latency runs from that due time to its answer, so a stall counts against every request it
// delayed (no coordinated omission). Keep-alive connections from one node:http Agent (up to --connections); a request
// waiting for a free connection is still late by the wait. The client is one Node process: past ~10k req/s on this
// machine it becomes the bottleneck itself (it reports how far behind its own schedule it fell: `sendLagMs`).
// Usage: node open-loop.mjs URL RATE SECONDS [CONNECTIONS]   -> prints one RESULT line of JSON
import http from 'node:http';
import hdr from 'hdr-histogram-js';

const [url, rateArg, secondsArg, connectionsArg = '256'] = process.argv.slice(2);
const target = new URL(url);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connectionsArg) });
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const total = Math.round(rate * seconds);
let sent = 0;
let done = 0;
let errors = 0;
let non2xx = 0;
let maxSendLagMs = 0;
const start = performance.now() + 50;

function body(k) {
  const card = (k * 7919) % 5000;
  return `{"id":"o-${k}","cardId":"card-${card}","terminalId":"term-${(k * 31) % 997}","amount":${5 + ((k * 13) % 400)}.25,"timestamp":${1767225600000 + k * 50},"channel":"ONLINE","cardPresent":false}`;
}

function send(k, dueMs) {
  const payload = body(k);
  const req = http.request(
    { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
    (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) non2xx++;
        histogram.recordValue(Math.max(1, Math.round((performance.now() - dueMs) * 1000)));
        finish();
      });
    },
  );
  req.on('error', () => {
    errors++;
    finish();
  });
  req.end(payload);
}

function finish() {
  done++;
  if (done === total) report();
}

function report() {
  const p = (q) => histogram.getValueAtPercentile(q) / 1000;
  console.log(
    `RESULT ${JSON.stringify({ rate, seconds, requests: total, errors, non2xx, achievedPerS: Math.round(total / ((performance.now() - start) / 1000)), p50Ms: p(50), p90Ms: p(90), p99Ms: p(99), p999Ms: p(99.9), maxMs: histogram.maxValue / 1000, sendLagMs: Math.round(maxSendLagMs) })}`,
  );
  agent.destroy();
}

function tick() {
  const now = performance.now();
  // Every request that has fallen due is sent now, stamped with its own due time.
  while (sent < total) {
    const due = start + (sent / rate) * 1000;
    if (due > now) break;
    maxSendLagMs = Math.max(maxSendLagMs, now - due);
    send(sent, due);
    sent++;
  }
  // A 1 ms timer, not a spin: the client must not take a core from the server it measures on a 2-core machine.
  if (sent < total) setTimeout(tick, 1);
}
setTimeout(tick, 50);
