#!/usr/bin/env python3
"""Runs a command and reports the CPU time (user and system, from /proc) of each of its threads, sampled every 0.1 s
until it exits (the last sample before the exit counts).
Usage: thread-cpu.py [--json] CMD ARGS...
  without --json: one line per thread with at least 0.05 s (the main thread marked), then the total;
  with --json: one JSON line {exit, main: [user, system], threads: [[total, user, system], ...]} (bench/durability-threads.sh)."""
import json, os, subprocess, sys, time

as_json = len(sys.argv) > 1 and sys.argv[1] == '--json'
cmd = sys.argv[2:] if as_json else sys.argv[1:]
hz = os.sysconf('SC_CLK_TCK')
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
last = {}  # tid -> (name, user s, system s)
while p.poll() is None:
    try:
        for tid in os.listdir(f'/proc/{p.pid}/task'):
            try:
                with open(f'/proc/{p.pid}/task/{tid}/stat') as f:
                    st = f.read()
                name = st[st.index('(') + 1:st.rindex(')')]
                fields = st[st.rindex(')') + 2:].split()
                last[tid] = (name, int(fields[11]) / hz, int(fields[12]) / hz)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
    except FileNotFoundError:
        pass
    time.sleep(0.1)
main_tid = str(p.pid)
if as_json:
    main = last.get(main_tid, ('', 0.0, 0.0))[1:]
    others = sorted(((u + s, u, s) for t, (_, u, s) in last.items() if t != main_tid), reverse=True)
    print(json.dumps({'exit': p.returncode, 'main': main, 'threads': others}))
else:
    total = sum(u + s for _, u, s in last.values())
    for tid, (name, u, s) in sorted(last.items(), key=lambda kv: -(kv[1][1] + kv[1][2])):
        if u + s >= 0.05:
            print(f'{u + s:8.2f} s  {100 * (u + s) / total:5.1f} %  {name} {tid}{" (main)" if tid == main_tid else ""}')
    print(f'{total:8.2f} s  total')
