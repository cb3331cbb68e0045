#!/usr/bin/env bash
# Compares two exodus binaries on one scenario, on a shared, noisy machine: runs
# `exodus bench-case` with each binary in turn, ROUNDS times, and prints the nanoseconds per
# agent-day (best of REPEATS within each run) of every round, sorted, one line per binary.
# Alternating the two in time spreads the host's load over both, which separate runs do not.
#   usage: scripts/paired-bench.sh OLD_BINARY NEW_BINARY SCENARIO [DEGREE] [ROUNDS] [AGENTS]
#   e.g.:  scripts/paired-bench.sh /tmp/exodus-b8a8a9f target/release/exodus \
#            scenarios/historical-2025.toml 10 3
# DEGREE "own" keeps the scenario's network degree. Threads: 1 (the least disturbed measure).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,9p' "$0"; exit 2; }
old=$1 new=$2 scenario=$3 degree=${4:-own} rounds=${5:-3} agents=${6:-1000000}
repeats=3
args=(--agents "$agents" --threads 1 --repeats "$repeats")
[ "$degree" = own ] || args+=(--degree "$degree")
declare -A times=([old]="" [new]="")
for _ in $(seq "$rounds"); do
  for which in old new; do
    bin=$old
    [ "$which" = new ] && bin=$new
    ns=$("$bin" bench-case "$scenario" "${args[@]}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%.2f" % (d["simulate_seconds_min"] / d["agents"] / d["days"] * 1e9))')
    times[$which]+=" $ns"
  done
done
for which in old new; do
  echo "$which ns/agent-day:$(tr ' ' '\n' <<<"${times[$which]}" | sort -n | tr '\n' ' ')"
done
