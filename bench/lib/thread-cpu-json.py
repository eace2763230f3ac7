#!/usr/bin/env python3
"""Runs a command and prints, as one JSON line, the CPU time (user, system; from /proc) of its main thread and of each
other thread, sampled every 0.1 s until it exits (the last sample before the exit counts).
Usage: thread-cpu-json.py CMD ARGS...   (see bench/durability-threads.sh)"""
import json, os, subprocess, sys, time
hz = os.sysconf('SC_CLK_TCK')
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
last = {}
while p.poll() is None:
    try:
        for tid in os.listdir(f'/proc/{p.pid}/task'):
            try:
                with open(f'/proc/{p.pid}/task/{tid}/stat') as f:
                    st = f.read()
                fields = st[st.rindex(')') + 2:].split()
                last[tid] = (int(fields[11]) / hz, int(fields[12]) / hz)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
    except FileNotFoundError:
        pass
    time.sleep(0.1)
main = last.get(str(p.pid), (0.0, 0.0))
others = sorted(((u + s, u, s) for t, (u, s) in last.items() if t != str(p.pid)), reverse=True)
print(json.dumps({'exit': p.returncode, 'main': main, 'threads': others}))
