// Measures what the operator interfaces cost: one /metrics render on a busy system (histograms included), and a
// card reference by keyed SipHash-2-4 against one HMAC-SHA256. Run after `pnpm build`:
//   nice -n 10 node apps/server/scripts/measure-ops-costs.mjs
import { createHmac } from 'node:crypto';
import { CardRefHasher, SipHash64 } from '@fraudstream/schema';
import { createSystem } from '@fraudstream/system';
import { renderMetrics } from '../dist/metrics.js';

function perCall(name, n, fn) {
  for (let i = 0; i < Math.min(n, 100_000); i++) fn(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t) / n;
  console.log(`${name}: ${ns >= 10_000 ? `${(ns / 1000).toFixed(1)} us` : `${ns.toFixed(0)} ns`} per call`);
}

const key = Buffer.alloc(32, 7);
const sip = new SipHash64(key.subarray(0, 16));
const out = new Uint32Array(2);
const buf = Buffer.alloc(8);
perCall('card ref: SipHash-2-4 in JS, uncached', 2_000_000, (i) => sip.hashInto(Math.imul(i, 0x9e3779b1), i, out, 0));
perCall('card ref: HMAC-SHA256 (node:crypto) of the 8-byte key', 300_000, (i) => {
  buf.writeUInt32LE(i >>> 0, 0);
  createHmac('sha256', key).update(buf).digest();
});
const hasher = new CardRefHasher(key);
perCall('card ref: CardRefHasher.shortRefOfKey, 5,000 cards (cache hits)', 2_000_000, (i) => hasher.shortRefOfKey(i % 5000, 1));

const system = await createSystem({ source: { kind: 'generator', tps: 50_000, seed: 1 }, workers: 2, autoStart: true });
await new Promise((resolve) => setTimeout(resolve, 5_000));
const text = renderMetrics(system, { wsClients: 0, wsRefused: 0 });
console.log(`metrics: ${text.length} bytes, ${text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length} samples, after ${system.stats().counts.scored} decisions`);
const runs = 50;
const time = (fn) => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return (Number(process.hrtime.bigint() - t) / runs / 1e6).toFixed(2);
};
// Interleaved, so both see the same load.
const stats = [];
const render = [];
for (let k = 0; k < 3; k++) {
  stats.push(time(() => system.stats()));
  render.push(time(() => renderMetrics(system, { wsClients: 0, wsRefused: 0 })));
}
console.log(`system.stats() alone (what /api/stats and every WebSocket tick already pay): ${stats.join(', ')} ms`);
console.log(`metrics: one full render (stats() + telemetry() + text): ${render.join(', ')} ms, while the system decides 50,000 tx/s`);
await system.close();
