#!/usr/bin/env bash
# Do the what-ifs' conclusions hold across the plausible ranges of the assumptions?
# Runs the same Latin-hypercube design over the 62 assumptions of
# sweeps/historical-assumptions.toml on the historical scenario and on each what-if that changes
# only the timeline (the ban enforced, the extension then the ban, RedNote restricted), with
# common random numbers, so point p of every sweep has the same assumptions and the same random
# numbers; then scripts/what-if-robustness.py says, claim by claim, at how many points each
# what-if's conclusion holds. Results and what they say: docs/sensitivity.md.
#
#   scripts/what-if-robustness.sh [EXODUS] [SAMPLES]     (default: exodus on PATH, 128 points)
#
# Measured 6 min 30 s on 2 cores (with another sweep on one of them) at the sweep file's
# 2 x 10^4 agents and 2 replicates.
set -euo pipefail
cd "$(dirname "$0")/.."
EXODUS="${1:-exodus}"
SAMPLES="${2:-128}"
dirs=()
for s in historical-2025 ban-enforced extension-then-ban rednote-restricted; do
  out="results/what-if-robustness/$s"
  "$EXODUS" sweep sweeps/historical-assumptions.toml --design latin-hypercube \
    --samples "$SAMPLES" --scenario "scenarios/$s.toml" --skip-missing --out "$out" --no-plots -q
  dirs+=("$out")
done
python3 scripts/what-if-robustness.py "${dirs[@]}"
