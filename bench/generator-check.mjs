#!/usr/bin/env node
// Checks that the live generator keeps generating at >= 1M/s for 30 s (30M+ transactions) into a sink that accepts
// everything (a ring-sized buffer that is reused: claim always succeeds, nothing is read). Not a tinybench suite:
// `node bench/generator-check.mjs [seconds] [tps|max]` prints generated/s per second and the total.
import { RECORD_SIZE, RecordViews } from '@fraudstream/schema';
import { LiveGenerator, MAX_TPS } from '@fraudstream/sources';

const seconds = Number(process.argv[2] ?? 30);
const tps = process.argv[3] === undefined || process.argv[3] === 'max' ? MAX_TPS : Number(process.argv[3]);
const SLOTS = 1 << 18;
const views = new RecordViews(new ArrayBuffer(SLOTS * RECORD_SIZE));
let seq = 0;
const sink = {
  views,
  claimedSlot: 0,
  claimedSeq: 0,
  claim(max) {
    const slot = seq % SLOTS;
    this.claimedSlot = slot;
    this.claimedSeq = seq;
    return Math.min(max, SLOTS - slot);
  },
  publish(n) {
    seq += n;
  },
  setId() {},
  reject() {},
};
const gen = new LiveGenerator({ sink, tps, seed: 0 });
const cpu0 = process.cpuUsage();
gen.start();
let last = 0;
const perSecond = [];
for (let s = 0; s < seconds; s++) {
  await new Promise((r) => setTimeout(r, 1000));
  const g = gen.stats().generated;
  perSecond.push(g - last);
  last = g;
}
gen.stop();
const cpu = process.cpuUsage(cpu0);
const st = gen.stats();
console.log(
  JSON.stringify({
    seconds,
    offeredTps: tps,
    generated: st.generated,
    labels: st.labelsEmitted,
    generatedPerSecond: Math.round(st.generated / seconds),
    minSecond: Math.min(...perSecond),
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1e4 / seconds) * 10) / 10,
    simulatedDays: Math.round((st.simulatedTimeMs - Date.UTC(2018, 3, 1)) / 86_400_000),
    state: st.state,
  }),
);
