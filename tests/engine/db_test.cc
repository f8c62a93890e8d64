// Tests for the public DB API on both disk managers: reads and writes,
// atomic batches, reopen, recovery from the log after a simulated power
// loss, the durability modes, log failures, locking and read-only opening.
#include "laura/db.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

std::string Key(int i) { return absl::StrFormat("key%06d", i); }

class DBTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  Options MakeOptions() {
    Options o;
    o.disk_manager = GetParam();
    o.mmap_initial_size = 1 * kMiB;
    o.mmap_growth_step = 1 * kMiB;
    o.log_segment_size = 64 * 1024;
    o.env = &env_;
    return o;
  }
  // Automatic checkpoints by log size and time (0: never).
  Options CheckpointEvery(uint64_t log_bytes, uint32_t interval_ms) {
    Options o = MakeOptions();
    o.checkpoint_log_bytes = log_bytes;
    o.checkpoint_interval_ms = interval_ms;
    return o;
  }
  std::unique_ptr<DB> OpenDB(const Options& o) {
    auto db = DB::Open(o, path_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
  // Power loss: the database is dropped without a clean close (every
  // operation fails from here, so Close writes nothing), then unsynced
  // writes are lost.
  void CrashAndDrop(std::unique_ptr<DB>& db, FaultInjectionEnv::CrashMode mode) {
    env_.FailOperation(1, EIO, /*persistent=*/true);
    db.reset();
    env_.ClearFailures();
    ASSERT_TRUE(env_.Crash(mode, 11).ok());
  }
  void ExpectContents(DB& db, const std::map<std::string, std::string>& model, int keys) {
    for (int i = 0; i < keys; ++i) {
      auto got = db.Get(Key(i));
      auto it = model.find(Key(i));
      if (it == model.end()) {
        ASSERT_TRUE(absl::IsNotFound(got.status())) << Key(i) << ": " << got.status();
      } else {
        ASSERT_TRUE(got.ok()) << Key(i) << ": " << got.status();
        ASSERT_EQ(*got, it->second) << Key(i);
      }
    }
  }

  TempDir dir_;
  const std::string path_ = dir_.File("db");
  FaultInjectionEnv env_;
};

TEST_P(DBTest, PutGetDeleteAndBatches) {
  auto db = OpenDB(MakeOptions());
  ASSERT_TRUE(db->Put("a", "1").ok());
  ASSERT_TRUE(db->Put("b", "2").ok());
  EXPECT_EQ(*db->Get("a"), "1");
  ASSERT_TRUE(db->Delete("a").ok());
  EXPECT_TRUE(absl::IsNotFound(db->Get("a").status()));
  ASSERT_TRUE(db->Delete("never there").ok());
  WriteBatch batch;
  batch.Put("c", "3");
  batch.Delete("b");
  batch.Put("c", "33");  // later operations win
  ASSERT_TRUE(db->Write(batch).ok());
  EXPECT_EQ(*db->Get("c"), "33");
  EXPECT_TRUE(absl::IsNotFound(db->Get("b").status()));
  // A batch with one bad operation applies nothing.
  WriteBatch bad;
  bad.Put("d", "4");
  bad.Put(std::string(100000, 'k'), "too long a key");
  absl::Status s = db->Write(bad);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_TRUE(absl::IsNotFound(db->Get("d").status()));
  ASSERT_TRUE(db->Put("e", "5").ok());  // and the database goes on
  ASSERT_TRUE(db->Close().ok());
  EXPECT_FALSE(db->Get("e").ok());
  db = OpenDB(MakeOptions());
  EXPECT_EQ(*db->Get("c"), "33");
  EXPECT_EQ(*db->Get("e"), "5");
}

TEST_P(DBTest, RecoveryReplaysAcknowledgedCommitsAfterPowerLoss) {
  for (auto mode : {FaultInjectionEnv::CrashMode::kDropUnsynced,
                    FaultInjectionEnv::CrashMode::kTearUnsynced}) {
    std::map<std::string, std::string> model;
    {
      Options o = MakeOptions();
      o.checkpoint_log_bytes = 0;  // only the explicit checkpoint below
      auto db = OpenDB(o);
      for (int i = 0; i < 300; ++i) {
        const std::string v = std::string(i % 7 == 0 ? 3000 : 20, 'v') + std::to_string(i);
        ASSERT_TRUE(db->Put(Key(i % 120), v).ok());
        model[Key(i % 120)] = v;
        if (i == 150) {
          ASSERT_TRUE(db->Checkpoint().ok());
        }
        if (i % 11 == 0) {
          ASSERT_TRUE(db->Delete(Key((i * 7) % 120)).ok());
          model.erase(Key((i * 7) % 120));
        }
      }
      CrashAndDrop(db, mode);
    }
    auto db = OpenDB(MakeOptions());
    ExpectContents(*db, model, 120);
    ASSERT_TRUE(db->Close().ok());
    ASSERT_TRUE(env_.DeleteFile(path_ + "/data.ldb").ok());  // start over for the next mode
    auto names = env_.ListDir(path_ + "/log");
    ASSERT_TRUE(names.ok());
    for (const auto& name : *names) {
      ASSERT_TRUE(env_.DeleteFile(path_ + "/log/" + name).ok());
    }
  }
}

TEST_P(DBTest, NoSyncLosesOnlyATailOfWholeCommits) {
  Options o = MakeOptions();
  o.durability = Durability::kNoSync;
  std::vector<std::map<std::string, std::string>> states(1);
  {
    auto db = OpenDB(o);
    for (int i = 0; i < 200; ++i) {
      WriteBatch batch;  // each commit writes 3 keys
      auto next = states.back();
      for (int j = 0; j < 3; ++j) {
        const std::string k = Key((i * 3 + j) % 50);
        batch.Put(k, std::to_string(i));
        next[k] = std::to_string(i);
      }
      ASSERT_TRUE(db->Write(batch).ok());
      states.push_back(next);
      if (i == 100) {
        ASSERT_TRUE(db->Sync().ok());
      }
    }
    CrashAndDrop(db, FaultInjectionEnv::CrashMode::kTearUnsynced);
  }
  auto db = OpenDB(o);
  std::map<std::string, std::string> got;
  for (int i = 0; i < 50; ++i) {
    auto v = db->Get(Key(i));
    if (v.ok()) got[Key(i)] = *v;
  }
  bool matches = false;
  for (size_t k = 101; k < states.size() && !matches; ++k) matches = got == states[k];
  EXPECT_TRUE(matches) << "the recovered state is not the state after one commit since the sync";
}

TEST_P(DBTest, FailedLogSyncRefusesWritesUntilReopened) {
  auto db = OpenDB(MakeOptions());
  ASSERT_TRUE(db->Put("kept", "1").ok());
  env_.FailOperation(1, EIO, /*persistent=*/false, FaultInjectionEnv::kSync);
  absl::Status s = db->Put("lost", "2");
  EXPECT_FALSE(s.ok());
  s = db->Put("after", "3");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("reopen"), std::string::npos) << s;
  EXPECT_EQ(*db->Get("kept"), "1");  // reads go on
  db.reset();
  db = OpenDB(MakeOptions());
  EXPECT_EQ(*db->Get("kept"), "1");
  EXPECT_TRUE(absl::IsNotFound(db->Get("after").status()));
  ASSERT_TRUE(db->Put("after", "3").ok());
}

TEST_P(DBTest, SecondOpenIsLockedAndReadOnlyWorksAfterClose) {
  auto db = OpenDB(MakeOptions());
  ASSERT_TRUE(db->Put("k", "v").ok());
  auto second = DB::Open(MakeOptions(), path_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("locked by another process"), std::string::npos)
      << second.status();
  ASSERT_TRUE(db->Close().ok());
  Options ro = MakeOptions();
  ro.read_only = true;
  auto reader = OpenDB(ro);
  EXPECT_EQ(*reader->Get("k"), "v");
  EXPECT_TRUE(absl::IsFailedPrecondition(reader->Put("x", "y")));
}

TEST_P(DBTest, SecondOpenWaitsForTheLockUpToTheTimeout) {
  auto db = OpenDB(MakeOptions());
  auto refused = DB::Open(MakeOptions(), path_);
  ASSERT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_NE(refused.status().message().find(absl::StrCat("(pid ", ::getpid(), ")")),
            std::string::npos)
      << "names the holder: " << refused.status();
  Options waiting = MakeOptions();
  waiting.lock_timeout_ms = 200;
  const auto start = std::chrono::steady_clock::now();
  refused = DB::Open(waiting, path_);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200))
      << "it waited for the whole timeout";
  EXPECT_NE(refused.status().message().find("after waiting 200 ms"), std::string::npos)
      << refused.status();
  // A holder that lets go while another waits: the waiter gets it.
  waiting.lock_timeout_ms = 60'000;
  std::thread closer([&] { ASSERT_TRUE(db->Close().ok()); });
  auto second = DB::Open(waiting, path_);
  closer.join();
  EXPECT_TRUE(second.ok()) << second.status();
}

TEST_P(DBTest, WriteOptionsSyncOverridesTheDatabaseMode) {
  WriteBatch one, two;
  one.Put("synced", "1");
  two.Put("not synced", "2");
  {
    Options o = MakeOptions();
    o.durability = Durability::kNoSync;
    auto db = OpenDB(o);
    const uint64_t syncs = db->Stats().log_syncs;
    ASSERT_TRUE(db->Write(one, {.sync = true}).ok());
    EXPECT_EQ(db->Stats().log_syncs, syncs + 1) << "synced although the database does not";
    CrashAndDrop(db, FaultInjectionEnv::CrashMode::kDropUnsynced);
    db = OpenDB(o);
    EXPECT_EQ(*db->Get("synced"), "1") << "a synced write survives power loss";
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = OpenDB(MakeOptions());  // kSyncEveryCommit
  const uint64_t syncs = db->Stats().log_syncs;
  ASSERT_TRUE(db->Write(two, {.sync = false}).ok());
  EXPECT_EQ(db->Stats().log_syncs, syncs) << "no sync for this write";
  EXPECT_EQ(*db->Get("not synced"), "2");
  auto txn = db->BeginWrite();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Put("txn", "3").ok());
  ASSERT_TRUE((*txn)->Commit({.sync = false}).ok());
  txn->reset();
  EXPECT_EQ(db->Stats().log_syncs, syncs);
  CrashAndDrop(db, FaultInjectionEnv::CrashMode::kDropUnsynced);
  db = OpenDB(MakeOptions());
  EXPECT_TRUE(absl::IsNotFound(db->Get("not synced").status())) << "it was never durable";
  EXPECT_TRUE(absl::IsNotFound(db->Get("txn").status()));
  EXPECT_EQ(*db->Get("synced"), "1");
}

TEST_P(DBTest, GetViewIsValidUntilTheTransactionEnds) {
  Options o = MakeOptions();
  o.cache_size = 64 * 4096;  // the pread pool evicts and reuses its frames
  auto db = OpenDB(o);
  const std::string big(20000, 'b');  // an overflow value
  WriteBatch batch;
  for (int i = 0; i < 2000; ++i) batch.Put(Key(i), absl::StrCat("old", i));
  batch.Put("big", big);
  ASSERT_TRUE(db->Write(batch).ok());
  auto txn = db->BeginRead();
  std::vector<absl::string_view> views;
  for (int i = 0; i < 2000; i += 97) {
    auto v = txn->GetView(Key(i));
    ASSERT_TRUE(v.ok()) << v.status();
    views.push_back(*v);
  }
  auto big_view = txn->GetView("big");
  ASSERT_TRUE(big_view.ok());
  EXPECT_TRUE(absl::IsNotFound(txn->GetView("absent").status()));
  // Every page is copied, freed, written out and reused meanwhile.
  for (int round = 0; round < 5; ++round) {
    WriteBatch overwrite;
    for (int i = 0; i < 2000; ++i) overwrite.Put(Key(i), absl::StrCat("new", round, "-", i));
    overwrite.Delete("big");
    ASSERT_TRUE(db->Write(overwrite).ok());
    ASSERT_TRUE(db->Checkpoint().ok());
  }
  for (size_t j = 0; j < views.size(); ++j) {
    EXPECT_EQ(views[j], absl::StrCat("old", j * 97)) << "view " << j;
  }
  EXPECT_EQ(*big_view, big);
  std::string value;
  ASSERT_TRUE(db->Get(Key(5), &value).ok());
  EXPECT_EQ(value, "new4-5");
  EXPECT_TRUE(absl::IsNotFound(db->Get("big", &value)));
}

TEST_P(DBTest, MissingAndExistingDatabaseOptions) {
  Options o = MakeOptions();
  o.create_if_missing = false;
  EXPECT_TRUE(absl::IsNotFound(DB::Open(o, path_).status()));
  OpenDB(MakeOptions())->Close().IgnoreError();
  o = MakeOptions();
  o.error_if_exists = true;
  EXPECT_TRUE(absl::IsAlreadyExists(DB::Open(o, path_).status()));
}

TEST_P(DBTest, CheckpointsDropOldLogSegments) {
  Options o = MakeOptions();
  o.checkpoint_log_bytes = 128 * 1024;
  auto db = OpenDB(o);
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(db->Put(Key(i % 500), std::string(200, 'x')).ok());
  // The background checkpointer keeps up: once a checkpoint in flight
  // ends, at most checkpoint_log_bytes of log (two segments and the
  // current one) stays.
  size_t kept = 0;
  for (int wait = 0; wait < 500; ++wait) {
    auto segments = env_.ListDir(path_ + "/log");
    ASSERT_TRUE(segments.ok());
    kept = segments->size();
    if (kept <= 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LE(kept, 5u);  // ~700 KB of log written in 64 KiB segments
  EXPECT_GE(db->Stats().checkpoints, 3u);
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(o);
  EXPECT_EQ(*db->Get(Key(499)), std::string(200, 'x'));
}

TEST_P(DBTest, WriteTransactionSeesItsOwnWritesAndCommitsAtomically) {
  auto db = OpenDB(MakeOptions());
  ASSERT_TRUE(db->Put("b", "old").ok());
  {
    auto txn = db->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Put("a", "1").ok());
    ASSERT_TRUE((*txn)->Delete("b").ok());
    EXPECT_EQ(*(*txn)->Get("a"), "1");
    EXPECT_TRUE(absl::IsNotFound((*txn)->Get("b").status()));
    EXPECT_TRUE(absl::IsNotFound(db->Get("a").status()));  // not committed yet
    EXPECT_EQ(*db->Get("b"), "old");
    auto it = (*txn)->NewIterator();
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "a");
    it->Next();
    EXPECT_FALSE(it->Valid());
    it.reset();
    ASSERT_TRUE((*txn)->Commit().ok());
    EXPECT_FALSE((*txn)->Put("c", "3").ok());  // ended
  }
  EXPECT_EQ(*db->Get("a"), "1");
  EXPECT_TRUE(absl::IsNotFound(db->Get("b").status()));
  {
    auto txn = db->BeginWrite();
    ASSERT_TRUE((*txn)->Put("z", "26").ok());
    ASSERT_TRUE((*txn)->Abort().ok());
  }
  {
    auto txn = db->BeginWrite();
    ASSERT_TRUE((*txn)->Put("y", "25").ok());
  }  // destroyed without Commit: aborted
  EXPECT_TRUE(absl::IsNotFound(db->Get("z").status()));
  EXPECT_TRUE(absl::IsNotFound(db->Get("y").status()));
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(MakeOptions());
  EXPECT_EQ(*db->Get("a"), "1");
  EXPECT_TRUE(absl::IsNotFound(db->Get("z").status()));
}

TEST_P(DBTest, OneWriterAtATime) {
  auto db = OpenDB(MakeOptions());
  auto first = db->BeginWrite();
  ASSERT_TRUE(first.ok());
  auto second = db->BeginWrite(/*wait=*/false);
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  std::atomic<bool> started{false}, committed{false};
  std::thread waiter([&] {
    started = true;
    auto txn = db->BeginWrite(/*wait=*/true);  // waits for the first
    EXPECT_TRUE(committed.load());
    ASSERT_TRUE(txn.ok());
    EXPECT_EQ(*(*txn)->Get("k"), "first");
    ASSERT_TRUE((*txn)->Put("k", "second").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  });
  while (!started) std::this_thread::yield();
  ASSERT_TRUE((*first)->Put("k", "first").ok());
  committed = true;
  ASSERT_TRUE((*first)->Commit().ok());
  waiter.join();
  EXPECT_EQ(*db->Get("k"), "second");
}

TEST_P(DBTest, ReadTransactionIsASnapshot) {
  auto db = OpenDB(MakeOptions());
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(db->Put(Key(i), "v1").ok());
  auto snap = db->BeginRead();
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(db->Put(Key(i), std::string(300, '2')).ok());
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(db->Delete(Key(i)).ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  EXPECT_EQ(*snap->Get(Key(3)), "v1");
  int n = 0;
  auto it = snap->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) ASSERT_EQ(it->value(), "v1");
  EXPECT_TRUE(it->status().ok());
  EXPECT_EQ(n, 500);
  it.reset();
  snap.reset();
  auto latest = db->NewIterator();
  latest->SeekForPrev(Key(1000));
  ASSERT_TRUE(latest->Valid());
  EXPECT_EQ(latest->key(), Key(499));
  latest->Seek(Key(0));
  EXPECT_EQ(latest->key(), Key(250));
}

TEST_P(DBTest, ConcurrentReadersWhileTheWriterCommitsAndCheckpoints) {
  Options o = MakeOptions();
  o.checkpoint_log_bytes = 64 * 1024;  // checkpoints run often
  auto db = OpenDB(o);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Put(Key(i), "0").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, scans{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto it = db->NewIterator();  // every key holds the same version
        std::string version;
        int n = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
          if (n == 0) version = std::string(it->value());
          if (it->value() != version) ++failures;
        }
        if (n != 100 || !it->status().ok()) ++failures;
        ++scans;
      }
    });
  }
  for (int v = 1; v <= 60; ++v) {
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) batch.Put(Key(i), std::string(v % 5 == 0 ? 900 : 5, 'a' + v % 26));
    ASSERT_TRUE(db->Write(batch).ok());
  }
  while (scans < 10) std::this_thread::yield();
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
}

// A DB::Checkpoint on its own thread, held up in its first sync of the
// data file (step 2, beside the writers) from construction until Finish.
class HeldCheckpoint {
 public:
  HeldCheckpoint(FaultInjectionEnv* env, DB* db) : env_(env) {
    env_->SetHook([this](FaultInjectionEnv::OpKind kind, const std::string& what) {
      if (kind != FaultInjectionEnv::kSync || what.find("data.ldb") == std::string::npos) return;
      std::unique_lock<std::mutex> lock(mu_);
      if (held_) return;
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return release_; });
    });
    thread_ = std::thread([this, db] { status_ = db->Checkpoint(); });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }
  ~HeldCheckpoint() {
    if (thread_.joinable()) Finish().IgnoreError();
  }
  // Lets the sync go on; the checkpoint's outcome.
  absl::Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    thread_.join();
    env_->SetHook(nullptr);
    return status_;
  }

 private:
  FaultInjectionEnv* const env_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, release_ = false;
  std::thread thread_;
  absl::Status status_;
};

// The long-snapshot warning names readers that hold replaced pages; a
// checkpoint syncing beside the writers holds its own snapshot, and the
// pages the writers replace meanwhile, only until it ends: no warning.
TEST_P(DBTest, ACheckpointsOwnSnapshotIsNotWarnedAbout) {
  Options o = CheckpointEvery(0, 0);
  o.long_snapshot_warning_bytes = 256 << 10;  // 64 pages
  std::mutex log_mu;
  std::vector<std::string> warnings;
  o.info_log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu);
    warnings.push_back(line);
  };
  auto db = OpenDB(o);
  const std::string value(500, 'v');
  constexpr int kKeys = 2000;  // about 250 leaves
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(db->Put(Key(i), value).ok());
  HeldCheckpoint checkpoint(&env_, db.get());
  // Every leaf of the checkpoint's tree is replaced while it syncs.
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(db->Put(Key(i), "during").ok());
  const DBStats during = db->Stats();
  ASSERT_EQ(during.open_snapshots.size(), 1u);  // the checkpoint's
  EXPECT_GT(during.open_snapshots[0].pages_held, 64u) << "it holds the replaced pages";
  ASSERT_TRUE(checkpoint.Finish().ok());
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(db->Put(Key(i), value).ok());
  std::lock_guard<std::mutex> lock(log_mu);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
}

TEST_P(DBTest, CommitsGoOnWhileACheckpointSyncs) {
  const Options o = CheckpointEvery(0, 0);
  auto db = OpenDB(o);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Put(Key(i), "before").ok());
  HeldCheckpoint checkpoint(&env_, db.get());
  // The checkpoint is stuck in its sync: writers and readers go on.
  for (int i = 100; i < 200; ++i) ASSERT_TRUE(db->Put(Key(i), "during").ok());
  EXPECT_EQ(*db->Get(Key(150)), "during");
  ASSERT_TRUE(checkpoint.Finish().ok());
  const DBStats st = db->Stats();
  EXPECT_EQ(st.checkpoint_lsn, 100u);  // the commits made during it come after
  EXPECT_EQ(st.last_lsn, 200u);
  EXPECT_TRUE(db->Check().ok());
  // The checkpoint plus the log hold everything after a power loss.
  CrashAndDrop(db, FaultInjectionEnv::CrashMode::kDropUnsynced);
  db = OpenDB(o);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(*db->Get(Key(i)), i < 100 ? "before" : "during");
  EXPECT_TRUE(db->Check().ok());
}

TEST_P(DBTest, TimedCheckpointsRunOnlyAfterCommits) {
  auto db = OpenDB(CheckpointEvery(0, 20));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(db->Put(Key(i), "v").ok());
  for (int wait = 0; wait < 500 && db->Stats().checkpoint_lsn < 5; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(db->Stats().checkpoint_lsn, 5u);
  const uint64_t checkpoints = db->Stats().checkpoints;
  EXPECT_GE(checkpoints, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // five intervals
  EXPECT_EQ(db->Stats().checkpoints, checkpoints) << "checkpointed with nothing new";
}

// Tests whose hooks need the checkpoint's page writes to pass through the
// Env, which only the pread manager does (mmap pages reach the file
// through the mapping).
class PreadDBTest : public DBTest {};

TEST_P(PreadDBTest, ACheckpointWaitsForTheCommitsSyncingAndCoversThem) {
  // Commit 5 is syncing when a checkpoint is asked for. The checkpoint
  // must not take its snapshot (of commit 4) and write pages meanwhile:
  // the pages commit 5 allocated would be in neither that snapshot's tree
  // nor its free list, and a crash would lose them. It waits for commit
  // 5 and covers it. Hooks order the steps; the pread manager writes the
  // checkpoint's pages through the Env.
  auto db = OpenDB(CheckpointEvery(0, 0));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(db->Put(Key(i), "v").ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_EQ(db->Stats().checkpoint_lsn, 4u);
  std::mutex mu;
  std::condition_variable cv;
  // 0: idle, 1: commit 5 syncing, 2: the checkpoint writes data pages.
  int phase = 0;
  bool wrote_during_sync = false;
  env_.SetHook([&](FaultInjectionEnv::OpKind kind, const std::string& what) {
    std::unique_lock<std::mutex> lock(mu);
    if (phase == 0 && kind == FaultInjectionEnv::kSync && what.find("/log/") != std::string::npos) {
      phase = 1;
      cv.notify_all();
      // Give the checkpoint every chance to write while this sync runs; a
      // correct checkpoint never does, so this wait always runs out.
      cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return phase >= 2; });
      wrote_during_sync = phase >= 2;
    } else if (phase == 1 && kind == FaultInjectionEnv::kWrite &&
               what.find("data.ldb") != std::string::npos) {
      phase = 2;
      cv.notify_all();
    }
  });
  absl::Status checkpointed;
  std::thread checkpointer([&] {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return phase >= 1; });
    }
    checkpointed = db->Checkpoint();
  });
  ASSERT_TRUE(db->Put(Key(4), "v").ok());
  checkpointer.join();
  env_.SetHook(nullptr);
  ASSERT_TRUE(checkpointed.ok()) << checkpointed;
  EXPECT_FALSE(wrote_during_sync) << "the checkpoint wrote pages while commit 5 synced";
  EXPECT_EQ(db->Stats().checkpoint_lsn, 5u) << "the checkpoint did not cover commit 5";
}

TEST_P(DBTest, StatsAndHints) {
  Options o = MakeOptions();
  o.checkpoint_log_bytes = 0;
  auto db = OpenDB(o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(db->Put(Key(i), "v").ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  auto snap = db->BeginRead();
  const DBStats st = db->Stats();
  EXPECT_EQ(st.commits, 10u);
  EXPECT_EQ(st.checkpoints, 1u);
  EXPECT_EQ(st.last_lsn, 10u);
  EXPECT_EQ(st.checkpoint_lsn, 10u);
  EXPECT_EQ(st.log_syncs, 10u);  // one per commit, single-threaded
  EXPECT_EQ(st.snapshots, 1u);
  EXPECT_GT(st.disk.page_count, 2u);
  const std::string text = st.ToString();
  EXPECT_NE(text.find("commits=10"), std::string::npos) << text;
  EXPECT_NE(text.find("disk: page_size=4096"), std::string::npos) << text;
  EXPECT_TRUE(db->AdviseSequential().ok());
  EXPECT_TRUE(db->AdviseRandom().ok());
  EXPECT_TRUE(db->AdviseWillNeed(Key(2), Key(7)).ok());
  EXPECT_TRUE(db->AdviseWillNeed("z", "a").ok());  // an empty range
}

TEST_P(DBTest, ConcurrentCommittersShareLogSyncs) {
  // Log syncs take at least 1 ms, as on a slow disk, so committers pile up
  // behind the running ones whatever the disk under the test is.
  env_.SetHook([](FaultInjectionEnv::OpKind kind, const std::string& what) {
    if (kind == FaultInjectionEnv::kSync && what.find("/log/") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  auto db = OpenDB(MakeOptions());
  constexpr int kThreads = 4, kPerThread = 60;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!db->Put(Key(t * 1000 + i), std::to_string(i)).ok()) ++failures;
        // Acknowledged means visible: a read after the write sees it.
        auto got = db->Get(Key(t * 1000 + i));
        if (!got.ok() || *got != std::to_string(i)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const DBStats st = db->Stats();
  EXPECT_EQ(st.commits, uint64_t{kThreads * kPerThread});
  std::cout << st.commits << " commits, " << st.log_syncs << " log syncs" << std::endl;
  // Committers rode on each other's syncs (LogTest pins how many).
  EXPECT_LT(st.log_syncs, st.commits * 6 / 10);
  env_.SetHook(nullptr);
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(MakeOptions());
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(*db->Get(Key(t * 1000 + kPerThread - 1)), "59");
}

TEST_P(DBTest, TimerSyncMakesCommitsDurableWithinAnInterval) {
  Options o = MakeOptions();
  o.durability = Durability::kSyncOnTimer;
  o.sync_interval_ms = 20;
  {
    auto db = OpenDB(o);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(db->Put(Key(i), "timed").ok());
    const uint64_t commits_syncs = db->Stats().log_syncs;
    // Wait until the syncer has synced the log after the last commit.
    for (int wait = 0; wait < 200 && db->Stats().log_syncs == commits_syncs; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(db->Stats().log_syncs, commits_syncs);
    EXPECT_LT(db->Stats().log_syncs, 50u);  // not one per commit
    CrashAndDrop(db, FaultInjectionEnv::CrashMode::kDropUnsynced);
  }
  auto db = OpenDB(o);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(*db->Get(Key(i)), "timed") << Key(i);
}

// Creation makes the new directory's own entry durable (a sync of its
// parent), so power lost right after Open returns keeps the database.
TEST_P(DBTest, NewDatabaseSurvivesPowerLossRightAfterOpen) {
  const std::string nested = dir_.File("parent/db");
  ASSERT_TRUE(env_.CreateDir(dir_.File("parent")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  {
    auto db = DB::Open(MakeOptions(), nested);
    ASSERT_TRUE(db.ok()) << db.status();
    env_.FailOperation(1, EIO, /*persistent=*/true);  // the process is gone
  }
  env_.ClearFailures();
  ASSERT_TRUE(env_.Crash(FaultInjectionEnv::CrashMode::kDropUnsynced).ok());
  Options o = MakeOptions();
  o.create_if_missing = false;
  auto db = DB::Open(o, nested);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(absl::IsNotFound((*db)->Get("a").status()));
}

// The full-disk report on the fault Env: a clean database opens, reads
// and closes with no space at all (an open writes nothing new until the
// first commit), a commit fails with ResourceExhausted, and once space is
// back every open works and nothing acknowledged is lost.
TEST_P(DBTest, FullDiskNeverMakesTheDatabaseUnopenable) {
  {
    auto db = OpenDB(MakeOptions());
    ASSERT_TRUE(db->Put("a", "1").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  env_.SetSpaceLimit(1);  // no file may grow
  for (int round = 0; round < 2; ++round) {
    auto db = OpenDB(MakeOptions());
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(*db->Get("a"), "1");
    EXPECT_TRUE(db->Close().ok());
  }
  {
    auto db = OpenDB(MakeOptions());
    absl::Status s = db->Put("b", "2");
    EXPECT_TRUE(absl::IsResourceExhausted(s)) << s;
  }
  env_.SetSpaceLimit(0);
  for (int round = 0; round < 2; ++round) {
    auto db = OpenDB(MakeOptions());
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(*db->Get("a"), "1");
    EXPECT_TRUE(absl::IsNotFound(db->Get("b").status()));
    ASSERT_TRUE(db->Put("c", "3").ok());
    EXPECT_TRUE(db->Check().ok());
  }
}

TEST_P(DBTest, CallsAfterCloseFailWithFailedPrecondition) {
  auto db = OpenDB(MakeOptions());
  ASSERT_TRUE(db->Put("a", "1").ok());
  ASSERT_TRUE(db->Close().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Get("a").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Put("b", "2")));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->Sync()));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->AdviseRandom()));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->AdviseWillNeed("a", "b")));
  EXPECT_FALSE(db->Check().ok());
  std::unique_ptr<Iterator> it = db->NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(absl::IsFailedPrecondition(it->status()));
  std::unique_ptr<ReadTransaction> txn = db->BeginRead();
  EXPECT_TRUE(absl::IsFailedPrecondition(txn->Get("a").status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(txn->NewIterator()->status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(db->BeginWrite().status()));
}

TEST_P(DBTest, CloseRefusesWhileIteratorsOrReadTransactionsAreOpen) {
  auto db = OpenDB(MakeOptions());
  ASSERT_TRUE(db->Put("a", "1").ok());
  {
    std::unique_ptr<Iterator> it = db->NewIterator();
    absl::Status s = db->Close();
    EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
    EXPECT_NE(s.message().find("1 iterators or transactions are still open"), std::string::npos)
        << s;
    it->SeekToFirst();  // still usable: nothing was closed
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), "1");
  }
  {
    std::unique_ptr<ReadTransaction> txn = db->BeginRead();
    EXPECT_TRUE(absl::IsFailedPrecondition(db->Close()));
    EXPECT_EQ(*txn->Get("a"), "1");
  }
  EXPECT_EQ(*db->Get("a"), "1");
  EXPECT_TRUE(db->Close().ok());
}

// Close while other threads are inside Get, Stats and short iterations:
// each call returns its data or FailedPrecondition, and Close waits for
// the ones in flight (ASan and TSan check that nothing is used after it
// is freed).
TEST_P(DBTest, CloseWhileConcurrentReadersAreInsideCalls) {
  auto db = OpenDB(MakeOptions());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(db->Put(Key(i), absl::StrCat("v", i)).ok());
  std::atomic<int> started{0}, refused{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      for (int n = 0;; ++n) {
        if (n == 10) ++started;
        const int i = (n * 7 + t) % 200;
        absl::StatusOr<std::string> got = db->Get(Key(i));
        if (!got.ok()) {
          EXPECT_TRUE(absl::IsFailedPrecondition(got.status())) << got.status();
          break;
        }
        EXPECT_EQ(*got, absl::StrCat("v", i));
        db->Stats();
        std::unique_ptr<Iterator> it = db->NewIterator();
        it->Seek(Key(i));
        if (!it->status().ok()) {
          EXPECT_TRUE(absl::IsFailedPrecondition(it->status())) << it->status();
        }
      }
      ++refused;
    });
  }
  while (started.load() < 3) std::this_thread::yield();
  // An open iterator can make Close refuse; retry until the readers'
  // short-lived ones are gone.
  absl::Status closed;
  do {
    closed = db->Close();
  } while (absl::IsFailedPrecondition(closed));
  EXPECT_TRUE(closed.ok()) << closed;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(refused.load(), 3);
}

INSTANTIATE_TEST_SUITE_P(Managers, DBTest, BothManagers(), ManagerName());
INSTANTIATE_TEST_SUITE_P(Pread, PreadDBTest, ::testing::Values(DiskManagerKind::kPread),
                         ManagerName());

}  // namespace
}  // namespace laura
