#!/usr/bin/env python3
"""Prints a bench.csv written by `exodus bench` as the Markdown table of docs/performance.md.

Usage: scripts/bench-table.py docs/performance/bench.csv"""
import csv,sys
rows=list(csv.DictReader(open(sys.argv[1])))
def h(x):
    x=float(x)
    for u,d in (("G",1e9),("M",1e6),("k",1e3)):
        if x>=d: return f"{x/d:.3g} {u}"
    return f"{x:.3g}"
print("| workload | agents | degree | threads | population s | network s | days s (median) | agent-updates/s (median) | best | peak RSS | bytes/agent | estimate |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    est = h(r['estimate_bytes'])+"B" if int(r['estimate_bytes'])>0 else "–"
    print(f"| {r['workload']} | {h(r['agents'])} | {r['degree']} | {r['threads']} | {float(r['population_seconds']):.3f} | {float(r['network_seconds']):.3f} | {float(r['simulate_seconds']):.3f} | {float(r['updates_per_second']):.3g} | {float(r['updates_per_second_max']):.3g} | {h(r['peak_rss_bytes'])}B | {float(r['bytes_per_agent']):.1f} | {est} |")
