#!/bin/bash
# CPU per decision by thread (main, the two scoring workers, all other threads), `fraudstream bench --tps max`
# ephemeral / durable / durable + case store in interleaved rounds: user+system time of each thread from /proc over the
# whole process, divided by the decisions scored (start-up included, so short runs read high). One JSON line a run.
# Usage: pnpm build && bench/durability-threads.sh [rounds = 3] [seconds = 10] [modes = "eph dur cases"]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; seconds=${2:-10}; modes=${3:-eph dur cases}
out=data/durability-threads; mkdir -p $out
for r in $(seq 0 $((rounds - 1))); do
  for m in $modes; do
    rm -rf $out/dd
    a=()
    [ "$m" != eph ] && a=(--data-dir $out/dd --checkpoint-interval 10)
    [ "$m" = cases ] && a+=(--cases)
    python3 bench/lib/thread-cpu.py --json node apps/cli/dist/main.js bench --tps max --duration "$seconds" --json $out/$m-$r.json "${a[@]}" > $out/$m-$r.cpu
    node -e "
const r = require('./$out/$m-$r.json'); const t = JSON.parse(require('fs').readFileSync('$out/$m-$r.cpu', 'utf8'));
const ns = (s) => Math.round((s * 1e9) / r.counts.scored); const th = t.threads.map((x) => x[0]);
console.log(JSON.stringify({ round: $r, mode: '$m', tps: r.sustainedTps, cpuPercent: r.cpuPercent, mainNs: ns(t.main[0] + t.main[1]),
  workersNs: ns((th[0] ?? 0) + (th[1] ?? 0)), otherNs: ns(th.slice(2).reduce((a, x) => a + x, 0)),
  totalNs: ns(t.main[0] + t.main[1] + th.reduce((a, x) => a + x, 0)), load1m: +require('os').loadavg()[0].toFixed(1) }));"
  done
done
rm -rf $out/dd
