#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build LauraDB (Release)
# and run the laura program on a database (default ./laura.db).
# Arguments are passed to laura, e.g. scripts/run.sh --pread /tmp/my.db
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target laura
exec build/tools/laura "$@"
