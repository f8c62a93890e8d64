#!/usr/bin/env bash
# Quick start, command 2: install what is missing, then build and run every
# test in three builds:
#   1. Release (gcc): all gtest suites and the fuzz-corpus replays (ctest)
#   2. ASan + UBSan (clang, with the libFuzzer targets): the same suites
#      again, then each fuzz target for a short time from its corpus (one
#      build serves both, so the sanitized code is compiled once)
#   3. TSan (clang): the suites that run threads
# Both clang builds check the lock annotations (-Wthread-safety as an error).
# Set LAURA_QUICK=1 to run only step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
JOBS="$(nproc)"

# Each step's heading also gives the minutes and seconds since the start,
# so a slow step shows in the CI log (CI allows the whole run 20 minutes).
step() { printf '\n=== %s (at %dm%02ds) ===\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }

# build_and_test DIR [CTEST_ARGS...] -- CMAKE_ARGS...
# Builds every target, or only those in $TARGETS when it is set.
build_and_test() {
  local dir=$1; shift
  local ctest_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  shift
  cmake -S . -B "$dir" "$@" > /dev/null
  local targets=()
  for t in ${TARGETS:-}; do targets+=(--target "$t"); done
  cmake --build "$dir" -j "$JOBS" "${targets[@]}"
  (cd "$dir" && ctest -j "$JOBS" --output-on-failure --timeout 900 "${ctest_args[@]}")
}

step "Release build and tests"
build_and_test build -- -DCMAKE_BUILD_TYPE=Release
[ "${LAURA_QUICK:-0}" = 1 ] && exit 0

# The sanitizer builds optimize less and keep only line tables for their
# stack traces: their compile time is most of this command's, and -O1
# with line tables compiled a test file 17% faster than -O2 -g.
SANITIZER_FLAGS="-O1 -gline-tables-only -DNDEBUG"
SANITIZER_BUILD=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
                 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$SANITIZER_FLAGS"
                 "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$SANITIZER_FLAGS")

step "ASan + UBSan build (clang, libFuzzer targets included) and tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build_and_test build-asan -- "${SANITIZER_BUILD[@]}" -DLAURA_FUZZ=ON

step "TSan build, threaded tests"
# Only the suites with threaded tests are built: the named threaded cases,
# and every case of the crash, kill, loader and integrity suites (their
# background checkpointer, syncer and helper threads run in each one).
TSAN_OPTIONS=halt_on_error=1 \
TARGETS="storage_mutex_test storage_mapping_faults_test storage_disk_manager_test storage_pager_test storage_page_bitmap_test btree_test btree_snapshot_registry_test wal_log_test engine_db_test engine_batch_prefetcher_test engine_crash_test engine_kill_test engine_loader_test engine_integrity_test engine_space_test btree_shared_registry_test engine_multi_process_test multi_process_helper engine_key_space_test" \
  build_and_test build-tsan -R "Mutex|SnapshotRegistry|Readers|Concurren|Thread|OneWriter|Timer|Checkpoint|GroupCommit|Close|CrashTest|KillTest|LoaderTest|IntegrityTest|SpaceTest|SharedRegistry|MultiProcess|KeySpace|MappingFaultsTest" \
  -- "${SANITIZER_BUILD[@]}" -DLAURA_TSAN=ON -DLAURA_BENCH=OFF

step "libFuzzer smoke run"
FUZZ_TARGETS=(meta_page:meta_page page:page_header node:node log_reader:log_segment
              recovery:recovery tsv_import:tsv_import csv_import:csv_import jsonl_import:jsonl_import
              laura_import:laura_import)
for target in "${FUZZ_TARGETS[@]}"; do
  name=${target%%:*}; corpus=${target##*:}
  work=$(mktemp -d)
  cp tests/fuzz/corpus/"$corpus"/* "$work"/
  build-asan/tests/fuzz/"${name}"_fuzzer -max_total_time="${LAURA_FUZZ_SECONDS:-5}" \
    -print_final_stats=0 "$work" 2>&1 | tail -n 2
  rm -rf "$work"
done
echo "fuzz: ${#FUZZ_TARGETS[@]} targets ran without a crash"
step "done"
