#!/usr/bin/env node
// Measures the dashboard under load: starts the real system (`fraudstream start`) at a given generator rate, opens the
// built dashboard in Debian's chromium (headless, driven by playwright-core), and for DURATION seconds samples the
// page's JS heap (CDP Performance.getMetrics), counts animation frames (requestAnimationFrame) and long frames, and
// sums the WebSocket bytes the page receives (CDP Network.webSocketFrameReceived).
//
// Usage (after `pnpm build`):
//   node apps/dashboard/scripts/measure-smoothness.mjs [--tps 1000000] [--duration 600] [--port 18600] [--json OUT.json]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const tps = Number(opt('tps', '1000000'));
const durationS = Number(opt('duration', '600'));
const port = Number(opt('port', '18600'));
const jsonOut = opt('json', undefined);
const sampleEveryS = Math.min(10, durationS);
const cli = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

const server = spawn(process.execPath, [cli, 'start', '--port', String(port), '--tps', String(tps)], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {
    // not listening yet
  }
  if (i > 300) throw new Error('the server did not start');
  await sleep(100);
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
await page.addInitScript(() => {
  const w = /** @type {any} */ (window);
  w.__frames = 0;
  w.__longFrames = 0;
  let last = performance.now();
  const loop = (t) => {
    w.__frames++;
    if (t - last > 50) w.__longFrames++;
    last = t;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
});
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
await cdp.send('Network.enable');
let wsBytes = 0;
let wsFrames = 0;
let maxFrameBytes = 0;
cdp.on('Network.webSocketFrameReceived', (e) => {
  const n = Buffer.byteLength(e.response.payloadData, 'utf8');
  wsBytes += n;
  wsFrames++;
  if (n > maxFrameBytes) maxFrameBytes = n;
});
const metric = async (name) => {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === name)?.value ?? Number.NaN;
};
const heap = async () => (await metric('JSHeapUsedSize')) / 2 ** 20;

await page.goto(base);
await page.waitForSelector('[data-testid=connection]:has-text("live")');
await sleep(5000);
await cdp.send('HeapProfiler.collectGarbage');
const heapStartMb = await heap();
const samples = [];
let prev = {
  t: performance.now(),
  frames: await page.evaluate(() => window.__frames),
  long: await page.evaluate(() => window.__longFrames),
  bytes: wsBytes,
  msgs: wsFrames,
  task: await metric('TaskDuration'),
  script: await metric('ScriptDuration'),
};
const first = { ...prev };
const endAt = Date.now() + durationS * 1000;
while (Date.now() < endAt) {
  await sleep(sampleEveryS * 1000);
  const t = performance.now();
  const { frames, long } = await page.evaluate(() => ({ frames: window.__frames, long: window.__longFrames }));
  const stats = await (await fetch(`${base}/api/stats`)).json();
  const task = await metric('TaskDuration');
  const script = await metric('ScriptDuration');
  const dt = (t - prev.t) / 1000;
  const sample = {
    atS: Math.round((durationS * 1000 - (endAt - Date.now())) / 1000),
    fps: (frames - prev.frames) / dt,
    longFrames: long - prev.long,
    heapMb: await heap(),
    bytesPerUpdate: wsFrames > prev.msgs ? (wsBytes - prev.bytes) / (wsFrames - prev.msgs) : 0,
    updatesPerS: (wsFrames - prev.msgs) / dt,
    // The renderer main thread's busy share (all tasks: script, style, layout, paint) and script time per update.
    mainThreadBusyPct: (100 * (task - prev.task)) / dt,
    scriptMsPerUpdate: wsFrames > prev.msgs ? (1000 * (script - prev.script)) / (wsFrames - prev.msgs) : 0,
    decideTps: stats.throughput.decideTps,
    decided: stats.counts.decided,
  };
  samples.push(sample);
  console.log(JSON.stringify(sample));
  prev = { t, frames, long, bytes: wsBytes, msgs: wsFrames, task, script };
}
await cdp.send('HeapProfiler.collectGarbage');
const heapEndMb = await heap();
await page.screenshot({ path: fileURLToPath(new URL('../../../data/smoothness-end.png', import.meta.url)) }).catch(() => undefined);
await browser.close();
server.kill('SIGINT');

const fps = samples.map((s) => s.fps).sort((a, b) => a - b);
const median = (xs) => xs[Math.floor(xs.length / 2)] ?? 0;
const summary = {
  command: `node apps/dashboard/scripts/measure-smoothness.mjs --tps ${tps} --duration ${durationS}`,
  date: new Date().toISOString(),
  tps,
  durationS,
  fpsMin: fps[0],
  fpsMedian: median(fps),
  longFramesTotal: samples.reduce((a, s) => a + s.longFrames, 0),
  heapAfterGcStartMb: heapStartMb,
  heapAfterGcEndMb: heapEndMb,
  heapMaxMb: Math.max(...samples.map((s) => s.heapMb)),
  bytesPerUpdateMean: wsFrames === 0 ? 0 : wsBytes / wsFrames,
  bytesPerUpdateMax: maxFrameBytes,
  updates: wsFrames,
  mainThreadBusyPctMean: (100 * (prev.task - first.task)) / ((prev.t - first.t) / 1000),
  scriptMsPerUpdateMean: (1000 * (prev.script - first.script)) / Math.max(1, prev.msgs - first.msgs),
  decideTpsMedian: median(samples.map((s) => s.decideTps).sort((a, b) => a - b)),
  decidedTotal: samples.at(-1)?.decided ?? 0,
  pageErrors: errors,
};
console.log(JSON.stringify(summary, null, 2));
if (jsonOut !== undefined) writeFileSync(jsonOut, `${JSON.stringify({ summary, samples }, null, 2)}\n`);
