// The scoring API under load: wrk (Debian's) posting one transaction per request (peers/score-api.lua) to
// POST /v1/score at concurrency 1, 64 and 256, beside two peers in the same run:
//   fraudstream  the real server (engine, worker threads, Rust scorer, micro-batches)      peers/fraudstream-server.mjs
//   node-http    the same scorer addon behind a plain node:http server, one process          peers/node-http-scorer.mjs
//   fastapi      FastAPI + uvicorn, features in Python, XGBoost's predictor (needs .venv)   peers/fastapi_xgb.py
// Usage: node bench/score-api.mjs [--duration S] [--warmup S] [--only name,name] [--rates R,R] [--wrk-threads N]
//                                 [--concurrency C,C] [--open-connections C] [--server-args "W B L D I"] [--json OUT]
// Prints a markdown table and writes bench/results/score-api.json. wrk measures latency from each request's send
// time on a connection that waits for the previous answer (closed loop): see RESULTS.md on coordinated omission.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const duration = Number(flag('duration', '10'));
const warmup = Number(flag('warmup', '3'));
const only = flag('only', 'fraudstream,node-http,fastapi').split(',');
const out = flag('json', here('./results/score-api.json'));
// Optional open-loop runs (peers/open-loop.mjs, wrk2-style fixed rates), e.g. --rates 25000,50000.
const rates = flag('rates', '').split(',').filter((r) => r !== '').map(Number);
// The bench server's settings after its port (peers/fraudstream-server.mjs: WORKERS MAX_BATCH LINGER_US DEADLINE_MS
// INLINE_MAX_BATCH), e.g. --server-args "2 256 0 50 0" for no inline scoring.
const serverArgs = flag('server-args', '').split(' ').filter((a) => a !== '');
// Connections of the open-loop client (one request in flight on each).
const openConnections = Number(flag('open-connections', '64'));
const CONCURRENCY = flag('concurrency', '1,64,256').split(',').map(Number);
// wrk's own threads share the 2 cores with the server: 2 by default (1 at c=1); --wrk-threads 1 measures with one.
const wrkThreads = flag('wrk-threads', '');
const python = here('../.venv/bin/python');

const TARGETS = [
  { name: 'fraudstream', port: 18431, cmd: process.execPath, args: [here('./peers/fraudstream-server.mjs'), '18431', ...serverArgs], stats: true },
  { name: 'node-http', port: 18432, cmd: process.execPath, args: [here('./peers/node-http-scorer.mjs'), '18432'] },
  {
    name: 'fastapi',
    port: 18433,
    cmd: python,
    args: ['-m', 'uvicorn', '--app-dir', here('./peers'), 'fastapi_xgb:app', '--host', '127.0.0.1', '--port', '18433', '--no-access-log', '--log-level', 'warning'],
    needs: python,
  },
].filter((t) => only.includes(t.name));

const sample = JSON.stringify({ id: 'probe', cardId: 'card-probe', terminalId: 'term-probe', amount: 12.5, timestamp: 1767225600000 });

async function ready(port) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/score`, { method: 'POST', body: sample, headers: { 'Content-Type': 'application/json' } });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`nothing answered on port ${port}`);
}

/** CPU seconds (user + system, all threads) the process has used so far, from /proc (Linux; 10 ms ticks). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Runs a command to its end; returns its output and the CPU seconds it used (user + system of it and its children,
 * read by the wrapping shell from its own /proc stat: cutime + cstime, 10 ms ticks), so the load generator's own cost
 * on the shared cores is recorded beside the server's.
 */
function measured(cmd, argv) {
  const text = execFileSync('sh', ['-c', '"$@"; echo "CHILDCPU $(cut -d" " -f16,17 /proc/$$/stat)"', 'sh', cmd, ...argv], { encoding: 'utf8' });
  const line = text.split('\n').find((l) => l.startsWith('CHILDCPU '));
  const [u, s] = (line ?? 'CHILDCPU 0 0').slice(9).split(' ').map(Number);
  return { text, cpuS: ((u ?? 0) + (s ?? 0)) / 100 };
}

// The event time the next wrk run starts from (peers/score-api.lua's BASE): past every event of the runs before it, so
// no card's events go back in time when one server takes several runs. A thread steps 864 ms a request.
const EVENT_STEP_MS = 864;
let eventBaseMs = 1767225600000;

function wrk(port, connections, seconds) {
  const threads = connections === 1 ? 1 : wrkThreads === '' ? 2 : Number(wrkThreads);
  const argv = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s', '-s', here('./peers/score-api.lua'), `http://127.0.0.1:${port}/v1/score`, '--', String(eventBaseMs)];
  const { text, cpuS } = measured('wrk', argv);
  const line = text.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`wrk printed no RESULT line:\n${text}`);
  const r = JSON.parse(line.slice(7));
  // No thread sent more than all the requests: the next run starts after this one's last event, plus a day.
  eventBaseMs += r.requests * EVENT_STEP_MS + 86_400_000;
  return {
    connections,
    threads,
    command: `wrk ${argv.join(' ')}`,
    reqPerS: Math.round(r.requests / (r.durationUs / 1e6)),
    durationS: r.durationUs / 1e6,
    p50Ms: r.p50Us / 1000,
    p90Ms: r.p90Us / 1000,
    p99Ms: r.p99Us / 1000,
    p999Ms: r.p999Us / 1000,
    maxMs: r.maxUs / 1000,
    requests: r.requests,
    socketErrors: r.socketErrors,
    non2xx: r.non2xx,
    clientCpuUsPerReq: Math.round((cpuS / Math.max(1, r.requests)) * 1e7) / 10,
  };
}

/**
 * Answers given by a fallback during one run (the deadline's REVIEW, or the engine's fallback decision) are reported
 * apart and are not throughput: `fallbackAnswers` from the server's own counters before and after the run, and
 * `decidedPerS`, the rate of answers the model and rules decided. Only the fraudstream target has the counters.
 */
function fallbackApart(r, before, after, requests, seconds) {
  const deadline = after.api.score.deadlineMisses - before.api.score.deadlineMisses;
  const fallback = after.counts.fallback - before.counts.fallback;
  r.fallbackAnswers = Math.min(requests, deadline + fallback);
  r.decidedPerS = Math.round((requests - r.fallbackAnswers) / seconds);
}

/** GET /api/stats on a fresh connection (a kept-alive one may have been closed by the server while wrk ran). */
async function engineStats(port) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/api/stats`, { headers: { Connection: 'close' } })).json();
    } catch (error) {
      if (attempt >= 3) throw error;
      await sleep(200);
    }
  }
}

const results = [];
for (const t of TARGETS) {
  if (t.needs !== undefined && !existsSync(t.needs)) {
    console.error(`${t.name}: ${t.needs} missing (run scripts/setup-python.sh); skipped and recorded as unavailable`);
    results.push({ name: t.name, unavailable: `${t.needs} missing` });
    continue;
  }
  const child = spawn(t.cmd, t.args, { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await ready(t.port);
    wrk(t.port, 64, warmup);
    const before = t.stats ? await engineStats(t.port) : undefined;
    const runs = [];
    for (const c of CONCURRENCY) {
      const s0 = t.stats ? await engineStats(t.port) : undefined;
      const cpu0 = cpuSeconds(child.pid);
      const r = wrk(t.port, c, duration);
      // The server's own CPU per answered request: comparable across peers even on a busy machine (wall rates are not).
      r.serverCpuS = Math.round((cpuSeconds(child.pid) - cpu0) * 100) / 100;
      r.cpuUsPerReq = Math.round((r.serverCpuS / Math.max(1, r.requests)) * 1e7) / 10;
      if (s0 !== undefined) fallbackApart(r, s0, await engineStats(t.port), r.requests, r.durationS);
      console.error(`${t.name} c=${c}: ${r.reqPerS} req/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms, server CPU ${r.cpuUsPerReq} us/req (errors ${r.socketErrors}, non-2xx ${r.non2xx}, fallback answers ${r.fallbackAnswers ?? '-'})`);
      runs.push(r);
    }
    const entry = { name: t.name, runs };
    for (const rate of rates) {
      const s0 = t.stats ? await engineStats(t.port) : undefined;
      const cpu0 = cpuSeconds(child.pid);
      const argv = [here('./peers/open-loop.mjs'), `http://127.0.0.1:${t.port}/v1/score`, String(rate), String(duration), String(openConnections), String(eventBaseMs)];
      const { text, cpuS } = measured(process.execPath, argv);
      const line = text.split('\n').find((l) => l.startsWith('RESULT '));
      const r = JSON.parse(line.slice(7));
      eventBaseMs += r.requests * 432 + 86_400_000;
      r.serverCpuUsPerReq = Math.round(((cpuSeconds(child.pid) - cpu0) / Math.max(1, r.requests)) * 1e7) / 10;
      r.clientCpuUsPerReq = Math.round((cpuS / Math.max(1, r.requests)) * 1e7) / 10;
      if (s0 !== undefined) fallbackApart(r, s0, await engineStats(t.port), r.requests, r.requests / Math.max(1, r.achievedPerS));
      console.error(`${t.name} open loop ${rate}/s: achieved ${r.achievedPerS}/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms (client behind its schedule by up to ${r.sendLagMs} ms)`);
      (entry.openLoop ??= []).push(r);
    }
    if (before !== undefined) {
      const after = await engineStats(t.port);
      entry.engine = {
        deadlineMisses: after.api.score.deadlineMisses - before.api.score.deadlineMisses,
        answered: after.api.score.answered - before.api.score.answered,
        apiBatches: after.api.score.batches - before.api.score.batches,
        meanApiBatch: (after.api.score.answered + after.api.score.deadlineMisses - before.api.score.answered - before.api.score.deadlineMisses) / Math.max(1, after.api.score.batches - before.api.score.batches),
        largestBatch: after.api.score.largestBatch,
        // The share of answers that were alerts (REVIEW or DECLINE, each with the reasons' tree walk): 0.5-0.7 % with
        // peers/score-api.lua's traffic (one transaction in a hundred is the handbook's scenario-1 fraud).
        alertShare: (after.counts.review + after.counts.declined - before.counts.review - before.counts.declined) / Math.max(1, after.counts.decided - before.counts.decided),
        laws: after.laws,
      };
    }
    results.push(entry);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const report = {
  loadAverageAtEnd: load,
  suite: 'score-api',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  durationS: duration,
  wrk: `${spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout}`.split('\n')[0],
  results,
};
mkdirSync(here('./results'), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log('| peer | connections | req/s | fallback answers | p50 ms | p99 ms | p99.9 ms | server CPU µs/req | wrk CPU µs/req | errors |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  if (r.unavailable !== undefined) console.log(`| ${r.name} | - | unavailable (${r.unavailable}) | | | | | | | |`);
  else for (const x of r.runs) console.log(`| ${r.name} | ${x.connections} | ${x.reqPerS} | ${x.fallbackAnswers ?? '-'} | ${x.p50Ms} | ${x.p99Ms} | ${x.p999Ms} | ${x.cpuUsPerReq} | ${x.clientCpuUsPerReq} | ${x.socketErrors + x.non2xx} |`);
}
for (const r of results) if (r.engine !== undefined) console.log(`\n${r.name} engine: ${JSON.stringify(r.engine)}`);
if (rates.length > 0) {
  console.log(`\nOpen loop (${openConnections} connections; latency from each request's due time; service = from its actual send):\n`);
  console.log('| peer | offered req/s | achieved req/s | fallback answers | p50 ms | p99 ms | p99.9 ms | service p50 ms | service p99 ms | client late by ms | server CPU µs/req | client CPU µs/req | errors |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    for (const o of r.openLoop ?? []) {
      console.log(`| ${r.name} | ${o.rate} | ${o.achievedPerS} | ${o.fallbackAnswers ?? '-'} | ${o.p50Ms} | ${o.p99Ms} | ${o.p999Ms} | ${o.serviceP50Ms} | ${o.serviceP99Ms} | ${o.sendLagMs} | ${o.serverCpuUsPerReq} | ${o.clientCpuUsPerReq} | ${o.errors + o.non2xx} |`);
    }
  }
}
