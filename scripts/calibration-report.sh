#!/usr/bin/env bash
# Regenerates the calibration documents from the shipped scenario, targets and calibration file:
#   docs/calibration/historical-2025-check.md  `exodus check`: the historical scenario (1e6
#                                              agents, 5 replicates) against every target
#   docs/calibration/historical-2025/          `exodus calibrate` (ABC-SMC, 12 parameters,
#                                              1e5 agents): report, posterior, predictive check,
#                                              fitted scenario, charts (about an hour on 2 cores)
#   docs/calibration/historical-2025-destinations/  `exodus calibrate` (Nelder-Mead, 5
#                                              parameters, 1e5 agents; about 10 minutes)
# Both fit the scenario as it is now: fold their values into it (docs/validation.md) before
# regenerating the check.
# (docs/calibration/respec/ is the record of the re-specified model's first fit, before it
# became the shipped one; it is not regenerated.)
#   usage: scripts/calibration-report.sh [--check-only]
# A calibration stopped midway resumes when the script is run again (its state.json is kept
# until the calibration has finished).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exodus=./target/release/exodus
mkdir -p docs/calibration
"$exodus" check scenarios/historical-2025.toml data/calibration-targets.toml \
  --replicates 5 --out docs/calibration/historical-2025-check.md
if [[ "${1:-}" == "--check-only" ]]; then exit 0; fi
out=docs/calibration/historical-2025
"$exodus" calibrate scenarios/historical-2025.toml data/calibration-targets.toml \
  --params calibrations/historical-2025.toml --out "$out"
# The state (only needed to resume) and the SVG copies of the charts stay out of the docs.
rm -f "$out"/state.json "$out"/*.svg
echo "$out"
out=docs/calibration/historical-2025-destinations
"$exodus" calibrate scenarios/historical-2025.toml data/calibration-targets.toml \
  --params calibrations/historical-2025-destinations.toml --out "$out"
rm -f "$out"/state.json "$out"/*.svg
echo "$out"
