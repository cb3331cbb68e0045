#!/usr/bin/env bash
# Fuzzes exodus's readers of user input with cargo-fuzz (libFuzzer): the scenario, comparison,
# targets, sweep and calibration files, and a results folder's daily.csv as plot and report
# read it. Runs on the stable toolchain without a sanitizer (what is sought is a panic; the
# crate has no unsafe code in these readers). Not part of CI: it takes an hour by default.
#
#   scripts/fuzz.sh            # six targets, 600 s each (one hour)
#   scripts/fuzz.sh 60 sweep   # one target for a minute
#
# A crash is saved under fuzz/artifacts/<target>/ and the run stops with its input; add that
# input to the `regressions` test of tests/hostile.rs once fixed. The growing corpus is kept in
# fuzz/corpus/<target>/ (not committed), seeded from the shipped files.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(scenario comparison targets sweep calibration daily_csv)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
seeds() {
  case "$1" in
    scenario) echo scenarios ;;
    comparison) echo comparisons ;;
    targets) echo data ;;
    sweep) echo sweeps ;;
    calibration) echo calibrations ;;
    daily_csv)
      mkdir -p fuzz/seeds/daily_csv
      if [ ! -s fuzz/seeds/daily_csv/daily.csv ]; then
        cargo run --release --locked -q -- run scenarios/reference-r1.toml --agents 1000 \
          --no-plots -q --force --out fuzz/seeds/run
        head -c 20000 fuzz/seeds/run/daily.csv > fuzz/seeds/daily_csv/daily.csv
      fi
      echo fuzz/seeds/daily_csv ;;
  esac
}
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== $t: $secs s"
  cargo fuzz run --sanitizer none -O "$t" "fuzz/corpus/$t" "$(seeds "$t")" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
done
