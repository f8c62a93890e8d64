// Power loss and I/O errors at every I/O operation, on both managers.
//
// Power loss: a scripted workload (splits, merges, overflow values,
// checkpoints, log segment switches) runs on the fault-injecting Env until
// operation N fails, and every later one with it (the process is gone);
// then unsynced writes are dropped, kept or torn, the database is
// reopened, and its contents must equal the state after some commit
// between the last acknowledged one and the last attempted one (no hole,
// no partial transaction), with the structural checker passing. Recovery
// itself is crashed too, at every 10th point visited.
//
// I/O errors: operation N fails once or for good with EIO or ENOSPC; every
// failure must be an error return, and once the faults stop the database
// reopens with every acknowledged commit.
//
// LAURA_CRASH_STRIDE sets the step between failure points (default 4 in
// Release, 16 under sanitizers; 1 visits every operation, ~700 points per
// test over both managers).
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/manager_params.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

using State = std::map<std::string, std::string>;

constexpr uint64_t kDefaultStride = kSanitized ? 16 : 4;

uint64_t Stride() {
  const char* env = std::getenv("LAURA_CRASH_STRIDE");
  return env ? std::max<uint64_t>(1, std::strtoull(env, nullptr, 10)) : kDefaultStride;
}

constexpr int kCommits = 36;

// Commit i of the script, applied to a batch and to the model state.
void ScriptedCommit(int i, WriteBatch* batch, State* state) {
  auto key = [](int k) { return absl::StrFormat("k%04d", k); };
  for (int j = 0; j < 25; ++j) {
    const int k = (i * 37 + j * 11) % 300;
    if ((i + j) % 5 == 0 && i > 8) {  // deletes shrink leaves: merges
      batch->Delete(key(k));
      state->erase(key(k));
    } else {
      // Mostly small values; some large ones go to overflow pages.
      const std::string v =
          std::string((i + j) % 17 == 0 ? 6000 : 40 + (k % 60), static_cast<char>('a' + i % 26)) +
          std::to_string(i);
      batch->Put(key(k), v);
      (*state)[key(k)] = v;
    }
  }
}

struct Outcome {
  int acknowledged = 0;  // commits that returned OK
  int attempted = 0;     // commits started
  bool finished = false;
};

Options CrashOptions(DiskManagerKind kind, Env* env) {
  Options o;
  o.disk_manager = kind;
  o.env = env;
  o.mmap_initial_size = 256 * 1024;
  o.mmap_growth_step = 256 * 1024;
  o.log_segment_size = 16 * 1024;  // several segment switches
  o.checkpoint_log_bytes = 0;      // checkpoints where the script says,
  o.checkpoint_interval_ms = 0;    // so the I/O sequence is the same each run
  o.cache_size = 64 * 4096;        // the pread pool evicts
  return o;
}

// Runs the script until it finishes or an operation fails.
Outcome RunScript(const Options& o, const std::string& path) {
  Outcome out;
  auto db = DB::Open(o, path);
  if (!db.ok()) return out;
  State ignored;
  for (int i = 0; i < kCommits; ++i) {
    WriteBatch batch;
    ScriptedCommit(i, &batch, &ignored);
    out.attempted = i + 1;
    if (!(*db)->Write(batch).ok()) return out;
    out.acknowledged = i + 1;
    if (i % 12 == 11 && !(*db)->Checkpoint().ok()) return out;
  }
  out.finished = (*db)->Close().ok();
  return out;
}

// states[k]: the contents after the script's first k commits.
std::vector<State> ScriptStates() {
  std::vector<State> states(1);
  for (int i = 0; i < kCommits; ++i) {
    WriteBatch batch;
    State next = states.back();
    ScriptedCommit(i, &batch, &next);
    states.push_back(next);
  }
  return states;
}

// Success if db holds states[k] for some k in [first, last] and its tree
// is sound.
::testing::AssertionResult HoldsACommitBetween(DB& db, const std::vector<State>& states,
                                               int first, int last) {
  State got;
  auto it = db.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    got[std::string(it->key())] = std::string(it->value());
  }
  if (!it->status().ok()) return ::testing::AssertionFailure() << it->status();
  it.reset();
  bool matches = false;
  for (int k = first; k <= last && !matches; ++k) matches = got == states[k];
  if (!matches) {
    return ::testing::AssertionFailure() << "holds " << got.size()
                                         << " keys, not the state after any commit in ["
                                         << first << ", " << last << "]";
  }
  const CheckReport report = db.Check();
  if (!report.ok()) return ::testing::AssertionFailure() << report.ToString();
  return ::testing::AssertionSuccess();
}

class CrashTest : public ::testing::TestWithParam<DiskManagerKind> {};

TEST_P(CrashTest, PowerLossAtEveryOperationRecoversACommitPrefix) {
  const std::vector<State> states = ScriptStates();
  const uint64_t stride = Stride();
  uint64_t crash_points = 0, recovery_crashes = 0;
  // Modes follow the visit count, not n: with an even stride n is always
  // odd, and "n % 10 == 0" would never crash recovery.
  for (uint64_t n = 1, visit = 0;; n += stride, ++visit) {
    const auto mode = static_cast<FaultInjectionEnv::CrashMode>(visit % 3);
    SCOPED_TRACE(absl::StrFormat("crash at operation %d, mode %d", n, static_cast<int>(mode)));
    TempDir dir;
    const std::string path = dir.File("db");
    FaultInjectionEnv env;
    env.FailOperation(n, EIO, /*persistent=*/true);
    const Outcome out = RunScript(CrashOptions(GetParam(), &env), path);
    if (out.finished) break;  // n is past the script's last operation
    ++crash_points;
    env.ClearFailures();
    ASSERT_TRUE(env.Crash(mode, n).ok());
    if (visit % 10 == 9) {  // crash recovery itself, then recover again
      ++recovery_crashes;
      env.FailOperation(1 + n % 23, EIO, /*persistent=*/true);
      auto failed = DB::Open(CrashOptions(GetParam(), &env), path);
      failed = absl::UnknownError("dropped");  // destroys the database, if opened
      env.ClearFailures();
      ASSERT_TRUE(env.Crash(FaultInjectionEnv::CrashMode::kTearUnsynced, n).ok());
    }
    auto db = DB::Open(CrashOptions(GetParam(), &env), path);
    if (out.attempted == 0 && !db.ok()) continue;  // died while creating it
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE(HoldsACommitBetween(**db, states, out.acknowledged, out.attempted));
    ASSERT_TRUE((*db)->Put("after", "recovery").ok());  // and it takes writes
  }
  std::cout << crash_points << " crash points, " << recovery_crashes
            << " of them crashing recovery too (stride " << stride << ")" << std::endl;
  EXPECT_GT(crash_points, 100u / stride);
  EXPECT_GT(recovery_crashes, 0u);
}

// I/O errors without power loss: operation N fails once (EIO or ENOSPC)
// or persistently; every failure must come back as an error (never a
// crash), and once the faults stop the database reopens holding every
// acknowledged commit and no partial one.
TEST_P(CrashTest, IoErrorAtEveryOperationLosesNoAcknowledgedCommit) {
  const std::vector<State> states = ScriptStates();
  const uint64_t stride = Stride();
  uint64_t points = 0, persistent_points = 0;
  for (uint64_t n = 1, visit = 0;; n += stride, ++visit) {
    const bool persistent = visit % 2 == 1;  // by visit: n's parity never changes
    const int err = visit % 3 == 2 ? ENOSPC : EIO;
    SCOPED_TRACE(absl::StrFormat("operation %d fails (%s, %s)", n,
                                 persistent ? "persistent" : "once", err == EIO ? "EIO" : "ENOSPC"));
    TempDir dir;
    const std::string path = dir.File("db");
    FaultInjectionEnv env;
    env.FailOperation(n, err, persistent);
    const Outcome out = RunScript(CrashOptions(GetParam(), &env), path);
    const bool fault_hit = env.operation_count() >= n;
    env.ClearFailures();
    if (out.finished && !fault_hit) break;  // n is past the script's last operation
    ++points;
    if (persistent) ++persistent_points;
    auto db = DB::Open(CrashOptions(GetParam(), &env), path);
    if (out.attempted == 0 && !db.ok()) continue;  // failed while creating it
    ASSERT_TRUE(db.ok()) << db.status();
    const int last = out.finished ? kCommits : out.attempted;
    ASSERT_TRUE(HoldsACommitBetween(**db, states, out.acknowledged, last));
  }
  std::cout << points << " failure points, " << persistent_points
            << " of them persistent (stride " << stride << ")" << std::endl;
  EXPECT_GT(points, 100u / stride);
  EXPECT_GT(persistent_points, 0u);
}

// A committed state for the space tests: keys spread over many pages,
// two thirds deleted (free pages throughout the file), some overflow
// values, checkpointed and closed.
State PrepareSpaceState(const Options& o, const std::string& path) {
  State state;
  auto db = DB::Open(o, path);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return state;
  for (int round = 0; round < 2; ++round) {
    WriteBatch batch;
    for (int i = 0; i < 1500; ++i) {
      const int k = (i * 7) % 1500;
      const std::string key = absl::StrFormat("s%05d", k);
      const std::string value =
          std::string(k % 97 == 0 ? 5000 : 60 + k % 40, static_cast<char>('a' + round)) +
          std::to_string(k);
      batch.Put(key, value);
      state[key] = value;
    }
    EXPECT_TRUE((*db)->Write(batch).ok());
  }
  WriteBatch deletes;
  for (int k = 0; k < 1500; ++k) {
    if (k % 3 == 0) continue;
    deletes.Delete(absl::StrFormat("s%05d", k));
    state.erase(absl::StrFormat("s%05d", k));
  }
  EXPECT_TRUE((*db)->Write(deletes).ok());
  EXPECT_TRUE((*db)->Close().ok());
  return state;
}

// Success if the database at path opens (read-write, or read-only for a
// backup) and holds exactly `state` with a sound tree, or -- for a backup
// that may not exist -- does not open at all as a database.
::testing::AssertionResult HoldsExactly(const Options& o, const std::string& path,
                                        const State& state, bool may_be_absent) {
  auto db = DB::Open(o, path);
  if (!db.ok()) {
    if (may_be_absent && absl::IsNotFound(db.status())) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << path << ": " << db.status();
  }
  return HoldsACommitBetween(**db, {state}, 0, 0);
}

// Power loss at every I/O operation of a compaction, a plain backup and a
// compact backup (on a file with free pages throughout, so pages move and
// the file shrinks): the database reopens with exactly its committed state
// (none of these changes contents), and each backup either does not open
// as a database or holds exactly that state -- an interrupted backup is
// never mistaken for a complete one.
TEST_P(CrashTest, PowerLossDuringCompactionAndBackupKeepsTheExactState) {
  {
    // Without faults, the compaction moves pages and shrinks the file.
    TempDir dir;
    FaultInjectionEnv env;
    const Options o = CrashOptions(GetParam(), &env);
    PrepareSpaceState(o, dir.File("db"));
    auto db = DB::Open(o, dir.File("db"));
    ASSERT_TRUE(db.ok()) << db.status();
    const DBStats before = (*db)->Stats();
    ASSERT_TRUE((*db)->Compact().ok());
    const DBStats after = (*db)->Stats();
    std::cout << "compaction: " << before.disk.file_size << " -> " << after.disk.file_size
              << " bytes, " << before.compactable_pages << " pages compactable before\n";
    ASSERT_GT(before.compactable_pages, 0u);
    ASSERT_LT(after.disk.file_size, before.disk.file_size);
  }
  const uint64_t stride = Stride();
  uint64_t crash_points = 0, backups_seen = 0;
  for (uint64_t n = 1, visit = 0;; n += stride, ++visit) {
    const auto mode = static_cast<FaultInjectionEnv::CrashMode>(visit % 3);
    SCOPED_TRACE(absl::StrFormat("crash at operation %d, mode %d", n, static_cast<int>(mode)));
    TempDir dir;
    const std::string path = dir.File("db");
    FaultInjectionEnv env;
    Options o = CrashOptions(GetParam(), &env);
    const State state = PrepareSpaceState(o, path);
    ASSERT_FALSE(state.empty());
    env.FailOperation(n, EIO, /*persistent=*/true);
    bool finished = false;
    {
      auto db = DB::Open(o, path);
      if (db.ok() && (*db)->Compact().ok() && (*db)->Backup(dir.File("copy")).ok() &&
          (*db)->Backup(dir.File("packed"), {.compact = true}).ok()) {
        finished = (*db)->Close().ok();
      }
    }
    if (finished) break;  // n is past the last operation
    ++crash_points;
    env.ClearFailures();
    ASSERT_TRUE(env.Crash(mode, n).ok());
    ASSERT_TRUE(HoldsExactly(o, path, state, /*may_be_absent=*/false));
    Options ro = o;
    ro.read_only = true;
    ro.create_if_missing = false;
    for (const char* copy : {"copy", "packed"}) {
      ASSERT_TRUE(HoldsExactly(ro, dir.File(copy), state, /*may_be_absent=*/true)) << copy;
      backups_seen += env.FileExists(dir.File(copy) + "/data.ldb");
    }
  }
  std::cout << crash_points << " crash points, " << backups_seen
            << " complete backups among them (stride " << stride << ")" << std::endl;
  EXPECT_GT(crash_points, 100u / stride);
  EXPECT_GT(backups_seen, 0u);
}

INSTANTIATE_TEST_SUITE_P(Managers, CrashTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
