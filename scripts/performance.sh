#!/usr/bin/env bash
# Reproduces docs/performance/: the benchmark table, its charts and the equal-degree comparison.
# Takes about 25 minutes on a 2-core machine and needs about 11 GB of memory (10^8 agents).
# Usage: scripts/performance.sh [OUT_DIR]   (default docs/performance)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/performance}"
# The distributed binary's profile (one codegen unit, thin LTO; Cargo.toml).
cargo build --profile dist --locked
exodus=target/dist/exodus
rm -f "$out"/bench.csv "$out"/bench.json
# R1 and the historical scenario, 10^4 .. 10^7 agents, 1 and 2 threads, with the hand-written loop.
"$exodus" bench --agents 1e4,1e5,1e6,1e7 --threads 1,2 --repeats 3 --baseline --no-plots --out "$out"
# 10^8 agents, all cores, one repeat each, added to the same table; draws the charts.
"$exodus" bench --agents 1e8 --threads "$(nproc)" --repeats 1 --baseline --append --out "$out"
# The full model against R1 at the same population and degree (10).
"$exodus" bench scenarios/reference-r1.toml scenarios/historical-2025.toml --degree 10 \
    --agents 1e6,1e7 --threads "$(nproc)" --repeats 3 --out "$out/equal-degree"
# The Markdown tables of docs/performance.md.
python3 scripts/bench-table.py "$out/bench.csv"
python3 scripts/bench-table.py "$out/equal-degree/bench.csv"
