#!/bin/bash
# Runs a command (db_bench, typically) inside a memory limit that counts the
# page cache, so that a database larger than the limit is read the way a
# small machine reads it. Needs root and the cgroup v1 memory controller at
# /sys/fs/cgroup/memory, or cgroup v2 at /sys/fs/cgroup (or .../unified).
#
#   scripts/bench-small-memory.sh 1536M build/bench/db_bench \
#       --groups=coldread --num=20000000 --engines=laura-mmap,laura-pread
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 LIMIT COMMAND [ARGS...]   (LIMIT as 1536M or 2G)" >&2
  exit 2
fi
limit=$1
shift
name=laura_bench_$$
if [[ -d /sys/fs/cgroup/memory ]]; then
  group=/sys/fs/cgroup/memory/$name
  mkdir "$group"
  echo "$limit" > "$group/memory.limit_in_bytes"
  tasks=$group/tasks
else
  root=/sys/fs/cgroup
  [[ -f $root/cgroup.controllers ]] || root=/sys/fs/cgroup/unified
  group=$root/$name
  mkdir "$group"
  echo "$limit" > "$group/memory.max"
  tasks=$group/cgroup.procs
fi
trap 'rmdir "$group" 2>/dev/null || true' EXIT
echo "memory limit $limit (page cache included): $group" >&2
# The subshell joins the group, then runs the command there.
bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$tasks" "$@"
