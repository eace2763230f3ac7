#!/usr/bin/env python3
"""Runs a command and reports the CPU time (user+system, from /proc) of each of its threads, by thread (the main thread marked),
sampled every 0.2 s until it exits (the last sample before the exit counts). Usage: thread-cpu.py CMD ARGS..."""
import collections, os, subprocess, sys, time
hz = os.sysconf('SC_CLK_TCK')
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
last = {}
while p.poll() is None:
    try:
        for tid in os.listdir(f'/proc/{p.pid}/task'):
            try:
                with open(f'/proc/{p.pid}/task/{tid}/stat') as f:
                    st = f.read()
                name = st[st.index('(') + 1:st.rindex(')')]
                fields = st[st.rindex(')') + 2:].split()
                last[tid] = (name, (int(fields[11]) + int(fields[12])) / hz)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
    except FileNotFoundError:
        pass
    time.sleep(0.2)
total = sum(cpu for _, cpu in last.values())
for tid, (name, cpu) in sorted(last.items(), key=lambda kv: -kv[1][1]):
    if cpu >= 0.05:
        print(f'{cpu:8.2f} s  {100 * cpu / total:5.1f} %  {name} {tid}{" (main)" if int(tid) == p.pid else ""}')
print(f'{total:8.2f} s  total')
