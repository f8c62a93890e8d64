// Space (on both disk managers): a small database is small, a clean open
// reads no log, pinned pages trigger checkpoints, the file shrinks when its
// end is free, Compact gives back space while readers hold old snapshots,
// and Backup writes a consistent database while a writer runs.
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

using Model = std::map<std::string, std::string>;

std::string Key(int i) { return absl::StrFormat("key%07d", i); }
std::string Value(int i, int round) { return absl::StrFormat("%0100d", i * 7919 + round); }

// Bytes of every file under dir (what it takes on disk, apparent size).
uint64_t BytesUnder(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

uint64_t FilesIn(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) n += entry.is_regular_file();
  return n;
}

class SpaceTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  Options MakeOptions() const {
    Options o;
    o.disk_manager = GetParam();
    o.checkpoint_interval_ms = 0;
    return o;
  }
  std::unique_ptr<DB> OpenDB(const Options& o, const std::string& path) {
    auto db = DB::Open(o, path);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
  std::unique_ptr<DB> OpenDB(const Options& o) { return OpenDB(o, path_); }

  // Fills keys [0, n) in batches of 1000, in key order.
  void Fill(DB& db, int n, Model* model, int round = 0) {
    for (int i = 0; i < n;) {
      WriteBatch batch;
      for (int j = 0; j < 1000 && i < n; ++j, ++i) {
        batch.Put(Key(i), Value(i, round));
        (*model)[Key(i)] = Value(i, round);
      }
      ASSERT_TRUE(db.Write(batch).ok());
    }
  }

  static ::testing::AssertionResult Holds(DB& db, const Model& model) {
    Model got;
    auto it = db.NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      got[std::string(it->key())] = std::string(it->value());
    }
    if (!it->status().ok()) return ::testing::AssertionFailure() << it->status();
    it.reset();
    if (got != model) {
      return ::testing::AssertionFailure()
             << "holds " << got.size() << " keys, expected " << model.size();
    }
    const CheckReport report = db.Check();
    if (!report.ok()) return ::testing::AssertionFailure() << report.ToString();
    return ::testing::AssertionSuccess();
  }

  TempDir dir_;
  const std::string path_ = dir_.File("db");
};

TEST_P(SpaceTest, EmptyDatabaseIsSmallAndACleanOpenReadsNoLog) {
  auto db = OpenDB(MakeOptions());
  EXPECT_LE(BytesUnder(path_), uint64_t{1} << 20) << "an empty database takes at most 1 MiB";
  EXPECT_EQ(FilesIn(path_ + "/log"), 0u) << "no segment before the first commit";
  ASSERT_TRUE(db->Put("a", "1").ok());
  EXPECT_EQ(FilesIn(path_ + "/log"), 1u);
  EXPECT_LE(BytesUnder(path_), uint64_t{1} << 20) << "one commit keeps it small";
  ASSERT_TRUE(db->Close().ok());
  EXPECT_EQ(FilesIn(path_ + "/log"), 0u) << "a clean close leaves no log to read";
  db = OpenDB(MakeOptions());
  EXPECT_EQ(FilesIn(path_ + "/log"), 0u) << "opening creates no segment";
  EXPECT_EQ(*db->Get("a"), "1");
  ASSERT_TRUE(db->Close().ok());
  Options ro = MakeOptions();
  ro.read_only = true;
  db = OpenDB(ro);
  EXPECT_EQ(*db->Get("a"), "1");
}

// The pages freed by the last commits before a close are on the free
// list it writes, so none is lost (the checker counts every page below
// the page count as reachable, free, or holding the free list).
TEST_P(SpaceTest, CloseLeaksNoPage) {
  Model model;
  {
    auto db = OpenDB(MakeOptions());
    Fill(*db, 20000, &model);
    ASSERT_TRUE(db->Checkpoint().ok());
    for (int i = 0; i < 2000; i += 2) {  // single commits, each freeing a path
      ASSERT_TRUE(db->Delete(Key(i)).ok());
      model.erase(Key(i));
    }
    ASSERT_TRUE(db->Close().ok());
  }
  auto db = OpenDB(MakeOptions());
  EXPECT_TRUE(Holds(*db, model));
}

// Pages that only a reader's snapshot holds at a checkpoint are on its
// free list: after a crash, with the reader gone, they are free, not lost.
TEST_P(SpaceTest, PagesHeldByAReaderAtACheckpointAreNotLostInACrash) {
  FaultInjectionEnv env;
  Options o = MakeOptions();
  o.env = &env;
  o.checkpoint_log_bytes = 0;
  o.checkpoint_pinned_bytes = 0;
  Model model;
  {
    auto db = OpenDB(o);
    Fill(*db, 20000, &model);
    ASSERT_TRUE(db->Checkpoint().ok());
    auto reader = db->BeginRead();
    Fill(*db, 20000, &model, 1);      // every page copied; the reader holds the old ones
    ASSERT_TRUE(db->Checkpoint().ok());  // their ids are on this free list
    Fill(*db, 100, &model, 2);           // logged after the checkpoint
    ASSERT_TRUE(db->Sync().ok());
    env.FailOperation(1, EIO, /*persistent=*/true);  // the power goes
    reader.reset();
    db.reset();
    env.ClearFailures();
    ASSERT_TRUE(env.Crash(FaultInjectionEnv::CrashMode::kDropUnsynced).ok());
  }
  auto db = OpenDB(o);
  EXPECT_TRUE(Holds(*db, model));  // the checker finds every page reachable or free
}

// A long read snapshot shows in Stats with the pages it holds, and once
// those pass Options::long_snapshot_warning_bytes one warning names it;
// a later long reader gets its own warning.
TEST_P(SpaceTest, ALongReaderIsListedAndWarnedAboutOnce) {
  std::mutex mu;  // info_log runs on whichever thread takes the writer role
  std::vector<std::string> warnings;
  auto warned = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return warnings;
  };
  Options o = MakeOptions();
  o.long_snapshot_warning_bytes = 256 << 10;  // 64 pages
  o.info_log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    warnings.push_back(line);
  };
  auto db = OpenDB(o);
  Model model;
  Fill(*db, 10000, &model);
  EXPECT_TRUE(db->Stats().open_snapshots.empty()) << "Stats does not list its own";
  for (int reader = 0; reader < 2; ++reader) {
    auto snapshot = db->BeginRead();
    const uint64_t lsn = db->Stats().last_lsn;
    for (int round = 1; round <= 5; ++round) Fill(*db, 10000, &model, 10 * reader + round);
    const DBStats st = db->Stats();
    ASSERT_EQ(st.open_snapshots.size(), 1u);
    EXPECT_EQ(st.open_snapshots[0].lsn, lsn);
    EXPECT_GE(st.open_snapshots[0].age_seconds, 0.0);
    EXPECT_GT(st.open_snapshots[0].pages_held, 64u) << "every leaf was replaced meanwhile";
    const std::vector<std::string> lines = warned();
    ASSERT_EQ(lines.size(), static_cast<size_t>(reader + 1)) << "one warning per long reader";
    EXPECT_NE(lines.back().find(absl::StrCat("a read snapshot of commit ", lsn)),
              std::string::npos)
        << lines.back();
    EXPECT_NE(lines.back().find("replaced pages"), std::string::npos) << lines.back();
  }
  Fill(*db, 1000, &model, 99);  // the readers are gone: their pages are free
  EXPECT_TRUE(db->Stats().open_snapshots.empty());
  EXPECT_EQ(warned().size(), 2u);
  EXPECT_TRUE(Holds(*db, model));
}

TEST_P(SpaceTest, PinnedPagesOverBudgetTriggerCheckpoints) {
  // Nothing but the pinned pages' budget checkpoints here.
  for (const uint64_t budget : {uint64_t{0}, uint64_t{256} << 10}) {
    SCOPED_TRACE(absl::StrFormat("budget %d bytes", budget));
    TempDir dir;
    Options o = MakeOptions();
    o.checkpoint_log_bytes = 0;
    o.checkpoint_pinned_bytes = budget;
    auto db = OpenDB(o, dir.File("db"));
    Model model;
    Fill(*db, 5000, &model);
    ASSERT_TRUE(db->Checkpoint().ok());
    const uint64_t before = db->Stats().checkpoints;
    // Overwrites copy leaves the durable checkpoint reaches: they are
    // pinned until the next checkpoint. Each round pins a few hundred.
    uint64_t after = before;
    for (int round = 1; round <= 200 && after == before; ++round) {
      Fill(*db, 5000, &model, round);
      for (int wait = 0; wait < 100 && budget > 0 && db->Stats().checkpoints == before; ++wait) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the checkpointer's turn
      }
      after = db->Stats().checkpoints;
      if (budget == 0 && round == 10) break;
    }
    if (budget == 0) {
      EXPECT_EQ(after, before) << "no trigger without a budget";
      EXPECT_GT(db->Stats().disk.pinned_pages, 64u) << "more than the other budget pins";
    } else {
      EXPECT_GT(after, before) << "pinned pages over the budget checkpoint";
    }
    EXPECT_TRUE(Holds(*db, model));
  }
}

TEST_P(SpaceTest, FileShrinksWhenItsEndIsFreed) {
  auto db = OpenDB(MakeOptions());
  Model model;
  Fill(*db, 40000, &model);  // in key order: the last keys are at the end
  ASSERT_TRUE(db->Checkpoint().ok());
  const uint64_t full = db->Stats().disk.file_size;
  WriteBatch batch;
  for (int i = 4000; i < 40000; ++i) {
    batch.Delete(Key(i));
    model.erase(Key(i));
  }
  ASSERT_TRUE(db->Write(batch).ok());
  // The copies that commit made went to the end (nothing was free yet);
  // once the deleted pages are free, commits that rewrite the rest copy
  // into them (lowest first), and the end empties.
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(db->Checkpoint().ok());
  Fill(*db, 4000, &model, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(db->Checkpoint().ok());
  const DBStats st = db->Stats();
  EXPECT_GE(st.disk.shrinks, 1u) << st.ToString();
  EXPECT_LT(st.disk.file_size, full / 4) << "from " << full;
  struct stat sb;
  ASSERT_EQ(::stat((path_ + "/data.ldb").c_str(), &sb), 0);
  EXPECT_EQ(static_cast<uint64_t>(sb.st_size), st.disk.file_size);
  EXPECT_TRUE(Holds(*db, model));
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(MakeOptions());
  EXPECT_TRUE(Holds(*db, model));
  Fill(*db, 20000, &model, 1);  // and it grows again
  EXPECT_TRUE(Holds(*db, model));
}

// A long random workload (overwrites, deletes and inserts in random
// batches, checkpointed as the background triggers would) reaches a
// steady size: the file does not grow with the length of the run, and
// stays within a bound of the pages in use. Single-threaded with explicit
// checkpoints, so the sizes are the same on every run (seed printed).
TEST_P(SpaceTest, FileSizeIsBoundedUnderALongRandomWorkload) {
  constexpr uint32_t kSeed = 20261207;
  std::cout << "seed " << kSeed << "\n";
  std::mt19937 rng(kSeed);
  Options o = MakeOptions();
  o.checkpoint_log_bytes = 0;
  o.checkpoint_pinned_bytes = 0;
  auto db = OpenDB(o);
  Model model;
  constexpr int kKeys = 20000;
  for (int k = 0; k < kKeys; k += 1000) {  // every key present, in random order
    WriteBatch batch;
    for (int j = 0; j < 1000; ++j) {
      const int key = static_cast<int>((static_cast<uint64_t>(k + j) * 7919) % kKeys);
      const std::string v = Value(key, 0) + std::string(rng() % 200, 'p');
      batch.Put(Key(key), v);
      model[Key(key)] = v;
    }
    ASSERT_TRUE(db->Write(batch).ok());
  }
  uint64_t size_at_round_10 = 0, max_size = 0;
  for (int round = 0; round < 60; ++round) {
    for (int commit = 0; commit < 20; ++commit) {
      WriteBatch batch;
      for (int j = 0; j < 100; ++j) {
        const int k = static_cast<int>(rng() % kKeys);
        if (rng() % 4 == 0) {
          batch.Delete(Key(k));
          model.erase(Key(k));
        } else {
          const std::string v = Value(k, round) + std::string(rng() % 200, 'p');
          batch.Put(Key(k), v);
          model[Key(k)] = v;
        }
      }
      ASSERT_TRUE(db->Write(batch).ok());
    }
    ASSERT_TRUE(db->Checkpoint().ok());
    const DBStats st = db->Stats();
    max_size = std::max(max_size, st.disk.file_size);
    if (round == 10) size_at_round_10 = st.disk.file_size;
    if (round % 10 == 0) {
      std::cout << "round " << round << ": file " << st.disk.file_size << " bytes, "
                << st.disk.page_count << " pages, " << st.disk.free_pages << " free\n";
    }
    if (round >= 10) {
      const uint64_t live = st.disk.page_count - st.disk.free_pages;
      ASSERT_LE(st.disk.file_size, 3 * live * st.disk.page_size)
          << "round " << round << ": " << st.ToString();
    }
  }
  const DBStats st = db->Stats();
  std::cout << "file " << size_at_round_10 << " bytes at round 10, " << st.disk.file_size
            << " at round 60, at most " << max_size << "\n";
  EXPECT_LE(st.disk.file_size, size_at_round_10 * 5 / 4) << "the file grew with the run";
  EXPECT_TRUE(Holds(*db, model));
}

// Delete every other key of a random fill, then compact: the file ends
// within 1.4x of the pages in use.
TEST_P(SpaceTest, CompactShrinksTheFileToItsLiveData) {
  auto db = OpenDB(MakeOptions());
  Model model;
  const int n = 60000;
  for (int i = 0; i < n;) {  // a scattered order: free pages spread out
    WriteBatch batch;
    for (int j = 0; j < 1000 && i < n; ++j, ++i) {
      const int k = static_cast<int>((static_cast<uint64_t>(i) * 7919) % n);
      batch.Put(Key(k), Value(k, 0));
      model[Key(k)] = Value(k, 0);
    }
    ASSERT_TRUE(db->Write(batch).ok());
  }
  Fill(*db, n, &model, 1);  // an overwrite leaves free pages throughout
  WriteBatch deletes;
  for (int i = 0; i < n; i += 2) {
    deletes.Delete(Key(i));
    model.erase(Key(i));
  }
  ASSERT_TRUE(db->Write(deletes).ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  ASSERT_TRUE(db->Checkpoint().ok());
  const DBStats before = db->Stats();
  EXPECT_GT(before.compactable_pages, 0u);
  ASSERT_TRUE(db->Compact().ok());
  const DBStats after = db->Stats();
  const uint64_t live = after.disk.page_count - after.disk.free_pages;
  std::cout << "compact: " << before.disk.file_size << " -> " << after.disk.file_size
            << " bytes; " << live << " pages in use, " << after.disk.free_pages << " free\n";
  EXPECT_LT(after.disk.file_size, before.disk.file_size);
  EXPECT_LE(after.disk.file_size, live * after.disk.page_size * 14 / 10);
  EXPECT_LE(after.compactable_pages, before.compactable_pages / 4);
  EXPECT_TRUE(Holds(*db, model));
  ASSERT_TRUE(db->Close().ok());
  db = OpenDB(MakeOptions());
  EXPECT_TRUE(Holds(*db, model));
  ASSERT_TRUE(db->Compact().ok()) << "compacting a compact file is fine";
  EXPECT_TRUE(Holds(*db, model));
}

TEST_P(SpaceTest, CompactWhileReadersHoldOldSnapshots) {
  auto db = OpenDB(MakeOptions());
  Model old_model;
  Fill(*db, 30000, &old_model);
  const Model kept = old_model;
  auto snapshot = db->BeginRead();
  auto iterator = db->NewIterator();
  iterator->SeekToFirst();
  Model model = old_model;
  WriteBatch deletes;
  for (int i = 0; i < 30000; ++i) {
    if (i % 3 == 0) continue;
    deletes.Delete(Key(i));
    model.erase(Key(i));
  }
  ASSERT_TRUE(db->Write(deletes).ok());
  const uint64_t size_before = db->Stats().disk.file_size;
  (void)size_before;
  // A writer goes on beside the compaction.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      if (!db->Put(absl::StrFormat("w%05d", i % 500), "x").ok()) return;
    }
  });
  ASSERT_TRUE(db->Compact().ok());
  stop.store(true);
  writer.join();
  for (int i = 0; i < 500; ++i) {
    auto v = db->Get(absl::StrFormat("w%05d", i));
    if (v.ok()) model[absl::StrFormat("w%05d", i)] = *v;
  }
  // The old snapshot still reads every key it had, unchanged.
  for (int i = 0; i < 30000; i += 7) {
    auto v = snapshot->Get(Key(i));
    ASSERT_TRUE(v.ok()) << Key(i) << ": " << v.status();
    EXPECT_EQ(*v, kept.at(Key(i)));
  }
  Model seen;
  for (; iterator->Valid(); iterator->Next()) {
    seen[std::string(iterator->key())] = std::string(iterator->value());
  }
  ASSERT_TRUE(iterator->status().ok()) << iterator->status();
  EXPECT_EQ(seen, kept);
  EXPECT_TRUE(Holds(*db, model));
  // Once the readers are gone, the pages they pinned go too.
  snapshot.reset();
  iterator.reset();
  ASSERT_TRUE(db->Compact().ok());
  const DBStats st = db->Stats();
  const uint64_t live = st.disk.page_count - st.disk.free_pages;
  EXPECT_LE(st.disk.file_size, live * st.disk.page_size * 14 / 10)
      << "from " << size_before << ": " << st.ToString();
  EXPECT_TRUE(Holds(*db, model));
}

TEST_P(SpaceTest, BackupWhileAWriterRunsIsAConsistentDatabase) {
  auto db = OpenDB(MakeOptions());
  Model model;
  Fill(*db, 20000, &model);
  ASSERT_TRUE(db->Put(std::string("big"), std::string(20000, 'o')).ok());  // overflow
  // Commit c writes "counter" = c and key "c<c>": a consistent copy holds
  // c0..c(k-1) for the k in its counter, and nothing later.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int c = 1; !stop.load(); ++c) {
      WriteBatch batch;
      batch.Put("counter", std::to_string(c));
      batch.Put(absl::StrFormat("c%07d", c), Value(c, 3));
      batch.Put(Key(c % 20000), Value(c, 4));
      if (!db->Write(batch).ok()) return;
    }
  });
  for (const bool compact : {false, true}) {
    SCOPED_TRACE(compact ? "compact" : "plain");
    const std::string target = dir_.File(compact ? "backup-compact" : "backup");
    const absl::Status backup = db->Backup(target, {.compact = compact});
    ASSERT_TRUE(backup.ok()) << backup;
    EXPECT_EQ(FilesIn(target + "/log"), 0u);
    Options ro = MakeOptions();
    ro.read_only = true;  // refused if a log had to be replayed
    auto copy = OpenDB(ro, target);
    ASSERT_NE(copy, nullptr);
    auto counter = copy->Get("counter");
    const int c = counter.ok() ? std::stoi(*counter) : 0;
    int commits = 0;
    auto it = copy->NewIterator();
    for (it->Seek("c"); it->Valid() && it->key()[0] == 'c' && it->key() != "counter"; it->Next()) {
      ++commits;
    }
    ASSERT_TRUE(it->status().ok());
    it.reset();
    EXPECT_EQ(commits, c) << "the copy is one commit's state";
    EXPECT_EQ(*copy->Get(std::string("big")), std::string(20000, 'o'));
    EXPECT_TRUE(copy->Check().ok()) << copy->Check().ToString();
    const DBStats st = copy->Stats();
    if (compact) {
      EXPECT_EQ(st.disk.free_pages, 0u) << "a compact copy holds pages in use only";
    }
    ASSERT_TRUE(copy->Close().ok());
    EXPECT_TRUE(absl::IsAlreadyExists(db->Backup(target))) << "a backup never overwrites";
  }
  stop.store(true);
  writer.join();
}

INSTANTIATE_TEST_SUITE_P(BothManagers, SpaceTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
