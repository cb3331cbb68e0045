#!/usr/bin/env bash
# Regenerates the chart gallery in plots/: runs every shipped scenario with its own settings and
# keeps its charts as PNG (1x, for the README) beside the scenario's name.
#   usage: scripts/gallery.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exodus=./target/release/exodus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for scenario in scenarios/*.toml; do
  name=$(basename "$scenario" .toml)
  "$exodus" run "$scenario" --quiet --no-plots --out "$work/$name"
  rm -rf "plots/$name"
  "$exodus" plot "$work/$name" --quiet --format png --scale 1 --out "plots/$name"
  echo "plots/$name"
done
# The shipped comparison: the historical scenario against its what-ifs (fewer agents and
# replicates than its file asks for, to keep the gallery quick to regenerate).
"$exodus" compare comparisons/what-ifs.toml --quiet --no-plots --agents 200000 --replicates 8 --out "$work/what-ifs"
rm -rf plots/compare-what-ifs
"$exodus" plot "$work/what-ifs" --quiet --format png --scale 1 --out plots/compare-what-ifs
echo "plots/compare-what-ifs"
