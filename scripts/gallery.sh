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
