// Readers in other processes beside a live writer process
// (btree/shared_registry.h, engine/processes.cc). Each process is the
// helper program (multi_process_helper.cc) started with fork + exec.
//
// ReadersSeeOnlyWholeCommitsWhileTheWriterIsKilled: three reader processes
// read snapshot after snapshot while writer processes commit a known
// sequence of states and are killed with SIGKILL at random moments (a
// fixed, printed seed) and restarted; every snapshot must be one whole
// state, never older than the one before, and after the last writer
// closes, each reader's last snapshot is its final state. Both managers.
//
// KilledReadersAreClearedAndThePagesTheyHeldAreReused: a reader process
// holds a snapshot while this process overwrites everything; its snapshot
// shows in Stats and keeps the file growing. Killed, it is cleared, and
// the pages come back into use.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

// Starts the helper with args; its stderr goes to log.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) ::dup2(fd, 2);
  std::vector<char*> argv;
  std::string helper = LAURA_MP_HELPER;
  argv.push_back(helper.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Waits (generously: a busy machine) for path to exist.
bool WaitFor(const std::string& path, absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!Exists(path)) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

class MultiProcessTest : public ::testing::TestWithParam<DiskManagerKind> {};

TEST_P(MultiProcessTest, ReadersSeeOnlyWholeCommitsWhileTheWriterIsKilled) {
  TempDir dir;
  const std::string db = dir.File("db"), log = dir.File("log.txt");
  const std::string kind = GetParam() == DiskManagerKind::kPread ? "pread" : "mmap";
  const uint64_t seed = 1717 + static_cast<uint64_t>(GetParam());
  std::cout << "multi-process test: seed " << seed << std::endl;
  std::mt19937_64 rng(seed);

  // State 1, written by a writer that closes cleanly.
  const std::string first_stop = dir.File("stop0");
  std::ofstream(first_stop) << "";
  ASSERT_EQ(Wait(Spawn({"writer", db, kind, first_stop, dir.File("result0")}, log)), 0)
      << ReadAll(log);

  constexpr int kReaders = 3;
  const std::string stop_readers = dir.File("stop_readers");
  std::vector<pid_t> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.push_back(Spawn({"reader", db, stop_readers, dir.File(absl::StrCat("ready", r)),
                             dir.File(absl::StrCat("read", r))},
                            log));
  }
  for (int r = 0; r < kReaders; ++r) {
    ASSERT_TRUE(WaitFor(dir.File(absl::StrCat("ready", r)))) << ReadAll(log);
  }

  constexpr int kKills = 8;
  const std::string never = dir.File("never");
  for (int round = 0; round < kKills; ++round) {
    const pid_t writer = Spawn({"writer", db, kind, never, never}, log);
    absl::SleepFor(absl::Milliseconds(50 + rng() % 250));
    ::kill(writer, SIGKILL);
    ASSERT_EQ(Wait(writer), -SIGKILL) << "the writer ended by itself: " << ReadAll(log);
  }
  // A last writer recovers, commits and closes cleanly.
  const std::string stop_last = dir.File("stop_last"), last = dir.File("result_last");
  const pid_t writer = Spawn({"writer", db, kind, stop_last, last}, log);
  absl::SleepFor(absl::Milliseconds(100));
  std::ofstream(stop_last) << "";
  ASSERT_EQ(Wait(writer), 0) << ReadAll(log);
  const uint64_t final_state = std::stoull(ReadAll(last));

  std::ofstream(stop_readers) << "";
  for (int r = 0; r < kReaders; ++r) {
    ASSERT_EQ(Wait(readers[r]), 0) << ReadAll(log);
    std::istringstream result(ReadAll(dir.File(absl::StrCat("read", r))));
    uint64_t snapshots = 0, distinct = 0, last_state = 0;
    result >> snapshots >> distinct >> last_state;
    std::cout << "reader " << r << ": " << snapshots << " snapshots of " << distinct
              << " states, the last " << last_state << std::endl;
    EXPECT_EQ(last_state, final_state) << "a reader does not see the recovered, final state";
    EXPECT_GE(distinct, 2u);
  }
  EXPECT_GT(final_state, 1u);
  EXPECT_EQ(ReadAll(log), "");  // no process reported a problem
}

INSTANTIATE_TEST_SUITE_P(Managers, MultiProcessTest, BothManagers(), ManagerName());

// The pages the snapshot of process pid holds; -1 if it has none open.
int64_t PagesHeldBy(DB& db, uint64_t pid) {
  for (const SnapshotStats& s : db.Stats().open_snapshots) {
    if (s.pid == pid) return static_cast<int64_t>(s.pages_held);
  }
  return -1;
}
bool HasSnapshotOf(DB& db, uint64_t pid) { return PagesHeldBy(db, pid) >= 0; }

// Pages in use, by snapshots too.
uint64_t PagesInUse(DB& db) {
  const DiskStats d = db.Stats().disk;
  return d.page_count - d.free_pages;
}

TEST(MultiProcessReaperTest, KilledReadersAreClearedAndThePagesTheyHeldAreReused) {
  TempDir dir;
  const std::string path = dir.File("db"), log = dir.File("log.txt");
  auto db = DB::Open(Options{}, path);
  ASSERT_TRUE(db.ok()) << db.status();
  auto overwrite = [&](int round) {
    for (int b = 0; b < 10; ++b) {
      WriteBatch batch;
      for (int k = 0; k < 200; ++k) {
        batch.Put(absl::StrFormat("key%05d", b * 200 + k), std::string(100, 'a' + round % 26));
      }
      ASSERT_TRUE((*db)->Write(batch).ok());
    }
    ASSERT_TRUE((*db)->Put("seq", absl::StrCat(round)).ok());
    ASSERT_TRUE((*db)->Checkpoint().ok());
  };
  overwrite(0);
  const std::string ready = dir.File("ready");
  const pid_t holder = Spawn({"hold", path, ready}, log);
  ASSERT_TRUE(WaitFor(ready)) << ReadAll(log);
  EXPECT_EQ(ReadAll(ready), "0");
  EXPECT_TRUE(HasSnapshotOf(**db, holder));

  // The held snapshot keeps every page of its version that was replaced:
  // about 60 leaves of 2,000 keys.
  for (int round = 1; round <= 4; ++round) overwrite(round);
  const int64_t held = PagesHeldBy(**db, holder);
  std::cout << "the reader process holds " << held << " pages; " << PagesInUse(**db)
            << " pages in use" << std::endl;
  EXPECT_GE(held, 50) << "the reader's snapshot did not hold the pages it reaches";
  const uint64_t in_use = PagesInUse(**db);

  ::kill(holder, SIGKILL);
  EXPECT_EQ(Wait(holder), -SIGKILL);
  // Cleared by the writer's servant, which wakes at least once a second.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (HasSnapshotOf(**db, holder) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_FALSE(HasSnapshotOf(**db, holder)) << "the dead reader's snapshot was never cleared";
  // Its pages are free again once the next writer returns them.
  overwrite(5);
  ASSERT_TRUE((*db)->Checkpoint().ok());
  std::cout << PagesInUse(**db) << " pages in use after the reader was cleared" << std::endl;
  EXPECT_LE(PagesInUse(**db) + held - 10, in_use);
  EXPECT_TRUE((*db)->Check().ok());
  EXPECT_EQ(ReadAll(log), "");
}

}  // namespace
}  // namespace laura
