#!/usr/bin/env bash
# Builds the Python package (python/: maturin + PyO3, one abi3 wheel for CPython >= 3.9) in a
# virtual environment of its own (python/.venv), installs it with pandas, pyarrow, polars and
# pytest from the package index, and runs its tests against the CLI built by
# `cargo build --release` (results must be identical). The CLI's build needs none of this.
#   scripts/python-tests.sh            # after cargo build --release (or cargo test --release)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=python/.venv
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "maturin>=1.5,<2" "pandas>=1.5" "pyarrow>=14" "polars>=1.0" "pytest>=7" "nbclient>=0.7" "nbformat>=5" "ipykernel>=6" "matplotlib>=3.5"
rm -rf python/target/wheels
"$VENV/bin/python" -m maturin build --release --locked -m python/Cargo.toml -i "$VENV/bin/python"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps python/target/wheels/exodus-*.whl
[ -x target/release/exodus ] || cargo build --release --locked
set +e
EXODUS_BIN="$PWD/target/release/exodus" "$VENV/bin/python" -m pytest -q python/tests
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "python-tests: pytest collected no tests (exit 5): python/tests must hold the package's tests" >&2
  exit 1
fi
exit "$status"
