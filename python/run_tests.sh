#!/bin/bash
# PythonTest (ctest): the package's pytest suite against the liblaura.so
# given as $1. Uses the first python3 that has pytest (Debian's
# python3-pytest, which scripts/install-deps.sh installs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LAURA_LIBRARY=$1
export PYTHONPATH=$here${PYTHONPATH:+:$PYTHONPATH}
for python in python3 /usr/bin/python3; do
  if "$python" -c "import pytest" 2> /dev/null; then
    exec "$python" -m pytest -q -p no:cacheprovider -W error "$here/tests"
  fi
done
echo "FAIL: no python3 with pytest (scripts/install-deps.sh installs python3-pytest)"
exit 1
