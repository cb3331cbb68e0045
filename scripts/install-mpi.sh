#!/usr/bin/env bash
# Installs what the optional `mpi` cargo feature needs on Debian or Ubuntu: OpenMPI's
# development files and launcher (mpicc, mpirun) and libclang, which the rsmpi bindings use
# to read mpi.h at build time. The default build needs none of this. Run as root or with sudo.
#   scripts/install-mpi.sh && cargo build --release --features mpi
set -euo pipefail
if command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1 \
  && ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq libopenmpi-dev openmpi-bin libclang-dev pkg-config >/dev/null
