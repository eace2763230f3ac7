// Open-loop (fixed-rate, wrk2-style) load for POST /v1/score: request k is DUE at start + k / rate whatever happened
// to earlier ones, and its latency runs from that due time to the end of its answer, so a stall counts against every
// request it delayed (no coordinated omission). HTTP/1.1 keep-alive on up to CONNECTIONS raw TCP sockets (node:net, no
// node:http: its per-request cost made the client the bottleneck at 3k req/s), one request in flight per connection
// (no pipelining); a due request waiting for a free connection is late by that wait, and counted so.
// The client ticks on a 1 ms timer (it must not spin a core away from the server on a 2-core machine): a request is
// sent up to ~1 ms after its due time, and that is in its latency. `serviceP*` are the same answers timed from the
// actual send (what a closed-loop tool reports); `sendLagMs` is how far behind its schedule the client itself fell.
// Usage: node open-loop.mjs URL RATE SECONDS [CONNECTIONS] [BASE_MS]   -> prints one RESULT line of JSON
import net from 'node:net';
import hdr from 'hdr-histogram-js';

const [url, rateArg, secondsArg, connectionsArg = '256', baseArg = '1767225600000'] = process.argv.slice(2);
const baseMs = Number(baseArg);
const target = new URL(url);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
if (!(rate > 0) || !(seconds > 0) || !(connections > 0)) throw new Error('usage: open-loop.mjs URL RATE SECONDS [CONNECTIONS]');
const build = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
const fromDue = build();
const fromSend = build();
const total = Math.round(rate * seconds);
const port = Number(target.port || 80);
let sent = 0;
let done = 0;
let errors = 0;
let non2xx = 0;
let maxSendLagMs = 0;
let maxQueued = 0;
let start = 0;

/**
 * The same traffic as peers/score-api.lua (see there): a new id and an event time 432 ms later each (200,000 a day over
 * 100,000 cards), 10,007 terminals, genuine amounts but one in a hundred above 220 (the handbook's scenario-1 fraud).
 */
function request(k) {
  const card = (k * 7919) % 100000;
  const amount = k % 100 === 37 ? 225 + ((k * 7) % 175) : 5 + ((k * 13) % 120);
  const body = `{"id":"o-${k}","cardId":"card-${card}","terminalId":"term-${(k * 31) % 10007}","amount":${amount}.25,"timestamp":${baseMs + k * 432},"channel":"ONLINE","cardPresent":false}`;
  return `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
}

/** One keep-alive connection with at most one request in flight. */
class Connection {
  constructor() {
    this.socket = net.connect({ host: target.hostname, port, noDelay: true });
    this.buffer = '';
    this.due = 0;
    this.sentAt = 0;
    this.busy = false;
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {
      if (this.busy) {
        errors++;
        this.busy = false;
        finish();
      }
    });
  }

  send(k, due) {
    this.busy = true;
    this.due = due;
    this.sentAt = performance.now();
    this.socket.write(request(k));
  }

  onData(d) {
    this.buffer += d;
    const head = this.buffer.indexOf('\r\n\r\n');
    if (head === -1) return;
    const m = /\r\ncontent-length: *(\d+)/i.exec(this.buffer.slice(0, head));
    if (m === null) throw new Error('an answer without Content-Length (chunked answers are not read by this client)');
    const end = head + 4 + Number(m[1]);
    if (this.buffer.length < end) return;
    const status = Number(this.buffer.slice(9, 12));
    this.buffer = this.buffer.slice(end);
    const t = performance.now();
    if (status !== 200) non2xx++;
    fromDue.recordValue(Math.max(1, Math.round((t - this.due) * 1000)));
    fromSend.recordValue(Math.max(1, Math.round((t - this.sentAt) * 1000)));
    this.busy = false;
    idle.push(this);
    finish();
    pump(t);
  }
}

const idle = [];
const all = [];
/** Due requests not yet sent (no connection was free): their due times. */
const queue = [];

function finish() {
  done++;
  if (done === total) report();
}

function pump(now) {
  while (queue.length > 0 && idle.length > 0) {
    const conn = idle.pop();
    const k = sent++;
    const due = queue.shift();
    maxSendLagMs = Math.max(maxSendLagMs, now - due);
    conn.send(k, due);
  }
}

let scheduled = 0;
function tick() {
  const now = performance.now();
  // Every request that has fallen due joins the queue with its own due time, then goes out on a free connection.
  while (scheduled < total) {
    const due = start + (scheduled / rate) * 1000;
    if (due > now) break;
    queue.push(due);
    scheduled++;
  }
  maxQueued = Math.max(maxQueued, queue.length);
  pump(now);
  if (scheduled < total) setTimeout(tick, 1);
}

function report() {
  const p = (h, q) => h.getValueAtPercentile(q) / 1000;
  const elapsedS = (performance.now() - start) / 1000;
  console.log(
    `RESULT ${JSON.stringify({
      rate,
      seconds,
      connections,
      requests: total,
      errors,
      non2xx,
      achievedPerS: Math.round(total / elapsedS),
      p50Ms: p(fromDue, 50),
      p90Ms: p(fromDue, 90),
      p99Ms: p(fromDue, 99),
      p999Ms: p(fromDue, 99.9),
      maxMs: fromDue.maxValue / 1000,
      serviceP50Ms: p(fromSend, 50),
      serviceP99Ms: p(fromSend, 99),
      sendLagMs: Math.round(maxSendLagMs * 10) / 10,
      maxQueued,
    })}`,
  );
  for (const c of all) c.socket.destroy();
}

// Connect every connection first; the schedule starts once all are up.
let up = 0;
for (let i = 0; i < connections; i++) {
  const c = new Connection();
  all.push(c);
  c.socket.once('connect', () => {
    idle.push(c);
    if (++up === connections) {
      start = performance.now() + 20;
      setTimeout(tick, 20);
    }
  });
}
