// Tests for DB::BeginLoad on both disk managers: bulk loading sorted keys
// into an empty database, the switch to inserts at the first key out of
// order, repeated and existing keys, abort, durability across reopen and
// power loss, and readers during a load.
#include <map>
#include <string>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "tests/support/fault_injection_env.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

std::string Key(int i) { return absl::StrFormat("key%07d", i); }
std::string Value(int i) { return absl::StrFormat("value-%d-%s", i, std::string(i % 300, 'v')); }

class LoaderTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  Options MakeOptions() {
    Options o;
    o.disk_manager = GetParam();
    o.mmap_initial_size = 1 * kMiB;
    o.mmap_growth_step = 1 * kMiB;
    o.log_segment_size = 64 * 1024;
    o.cache_size = 256 * 1024;  // smaller than a load: dirty pages are evicted
    o.env = &env_;
    return o;
  }
  std::unique_ptr<DB> OpenDB() {
    auto db = DB::Open(MakeOptions(), path_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }
  void ExpectExactly(DB& db, const std::map<std::string, std::string>& model) {
    auto it = db.NewIterator();
    auto want = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
      ASSERT_NE(want, model.end()) << "extra key " << it->key();
      ASSERT_EQ(it->key(), want->first);
      ASSERT_EQ(it->value(), want->second) << want->first;
    }
    ASSERT_TRUE(it->status().ok()) << it->status();
    ASSERT_EQ(want, model.end()) << "missing key " << want->first;
    CheckReport report = db.Check();
    ASSERT_TRUE(report.ok()) << report.ToString();
  }

  FaultInjectionEnv env_;
  TempDir dir_;
  const std::string path_ = dir_.File("db");
};

TEST_P(LoaderTest, SortedLoadIntoEmptyDatabaseIsBulkAndDurable) {
  std::map<std::string, std::string> model;
  {
    auto db = OpenDB();
    auto loader = db->BeginLoad();
    ASSERT_TRUE(loader.ok()) << loader.status();
    for (int i = 0; i < 20000; ++i) {
      ASSERT_TRUE((*loader)->Put(Key(i), Value(i)).ok());
      model[Key(i)] = Value(i);
    }
    EXPECT_TRUE((*loader)->bulk());
    EXPECT_EQ((*loader)->count(), 20000u);
    // Readers see nothing until Commit.
    EXPECT_TRUE(absl::IsNotFound(db->Get(Key(5)).status()));
    ASSERT_TRUE((*loader)->Commit().ok());
    ExpectExactly(*db, model);
    ASSERT_TRUE(db->Put(Key(20000), "after").ok());  // the log goes on after the load
    model[Key(20000)] = "after";
    // Power loss: the load is in the data file, the later commit in the log.
    env_.FailOperation(1, EIO, /*persistent=*/true);
    db.reset();
    env_.ClearFailures();
    ASSERT_TRUE(env_.Crash(FaultInjectionEnv::CrashMode::kDropUnsynced, 3).ok());
  }
  auto db = OpenDB();
  ExpectExactly(*db, model);
}

TEST_P(LoaderTest, OutOfOrderKeySwitchesToInserts) {
  auto db = OpenDB();
  auto loader = db->BeginLoad();
  ASSERT_TRUE(loader.ok());
  std::map<std::string, std::string> model;
  for (int i = 0; i < 5000; i += 2) {
    ASSERT_TRUE((*loader)->Put(Key(i), Value(i)).ok());
    model[Key(i)] = Value(i);
  }
  EXPECT_TRUE((*loader)->bulk());
  for (int i = 4999; i > 0; i -= 2) {
    ASSERT_TRUE((*loader)->Put(Key(i), Value(i)).ok());
    model[Key(i)] = Value(i);
  }
  EXPECT_FALSE((*loader)->bulk());
  EXPECT_EQ((*loader)->count(), 5000u);
  ASSERT_TRUE((*loader)->Commit().ok());
  ExpectExactly(*db, model);
  db.reset();
  db = OpenDB();
  ExpectExactly(*db, model);
}

TEST_P(LoaderTest, RepeatedKeysFailOrReplacePerOption) {
  auto db = OpenDB();
  ASSERT_TRUE(db->Put("b", "old").ok());
  {
    auto loader = db->BeginLoad();  // not empty: inserts
    ASSERT_TRUE(loader.ok());
    EXPECT_FALSE((*loader)->bulk());
    EXPECT_TRUE(absl::IsAlreadyExists((*loader)->Put("b", "new")));
    ASSERT_TRUE((*loader)->Put("a", "1").ok());
    EXPECT_TRUE(absl::IsAlreadyExists((*loader)->Put("a", "2")));
    ASSERT_TRUE((*loader)->Commit().ok());
  }
  ExpectExactly(*db, {{"a", "1"}, {"b", "old"}});
  {
    auto loader = db->BeginLoad({.space = {}, .overwrite = true});
    ASSERT_TRUE(loader.ok());
    ASSERT_TRUE((*loader)->Put("b", "new").ok());
    ASSERT_TRUE((*loader)->Put("c", "3").ok());
    EXPECT_EQ((*loader)->count(), 1u);
    ASSERT_TRUE((*loader)->Commit().ok());
  }
  ExpectExactly(*db, {{"a", "1"}, {"b", "new"}, {"c", "3"}});
}

TEST_P(LoaderTest, RepeatedKeysInBulkMode) {
  auto db = OpenDB();
  {
    auto loader = db->BeginLoad();
    ASSERT_TRUE(loader.ok());
    ASSERT_TRUE((*loader)->Put("a", "1").ok());
    EXPECT_TRUE(absl::IsAlreadyExists((*loader)->Put("a", "2")));
    ASSERT_TRUE((*loader)->Put("b", "1").ok());
    EXPECT_TRUE((*loader)->bulk());
    ASSERT_TRUE((*loader)->Commit().ok());
  }
  ExpectExactly(*db, {{"a", "1"}, {"b", "1"}});
  ASSERT_TRUE(db->Delete("a").ok());
  ASSERT_TRUE(db->Delete("b").ok());
  {
    auto loader = db->BeginLoad({.space = {}, .overwrite = true});  // emptied: bulk again
    ASSERT_TRUE(loader.ok());
    EXPECT_TRUE((*loader)->bulk());
    ASSERT_TRUE((*loader)->Put("x", "1").ok());
    ASSERT_TRUE((*loader)->Put("x", "2").ok());
    ASSERT_TRUE((*loader)->Put("y", "3").ok());
    EXPECT_EQ((*loader)->count(), 2u);
    ASSERT_TRUE((*loader)->Commit().ok());
  }
  ExpectExactly(*db, {{"x", "2"}, {"y", "3"}});
}

TEST_P(LoaderTest, AbortAndDestructionLeaveTheDatabaseAsBefore) {
  auto db = OpenDB();
  ASSERT_TRUE(db->Put("keep", "me").ok());
  {
    auto loader = db->BeginLoad();
    ASSERT_TRUE(loader.ok());
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE((*loader)->Put(Key(i), Value(i)).ok());
    ASSERT_TRUE((*loader)->Abort().ok());
    EXPECT_FALSE((*loader)->Put("z", "z").ok());
  }
  {
    auto loader = db->BeginLoad();
    ASSERT_TRUE(loader.ok());
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE((*loader)->Put(Key(i), Value(i)).ok());
  }  // destroyed without Commit
  ExpectExactly(*db, {{"keep", "me"}});
  EXPECT_TRUE(absl::IsInvalidArgument(
      (*db->BeginLoad())->Put(std::string(100000, 'k'), "v")));
}

TEST_P(LoaderTest, PowerLossBeforeCommitLeavesTheDatabaseAsBefore) {
  std::map<std::string, std::string> model = {{"keep", "me"}};
  {
    auto db = OpenDB();
    ASSERT_TRUE(db->Put("keep", "me").ok());
    auto loader = db->BeginLoad();
    ASSERT_TRUE(loader.ok());
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE((*loader)->Put(Key(i), Value(i)).ok());
    ASSERT_TRUE(db->Sync().ok());
    env_.FailOperation(1, EIO, /*persistent=*/true);
    loader->reset();
    db.reset();
    env_.ClearFailures();
    ASSERT_TRUE(env_.Crash(FaultInjectionEnv::CrashMode::kKeepUnsynced, 5).ok());
  }
  auto db = OpenDB();
  ExpectExactly(*db, model);
}

INSTANTIATE_TEST_SUITE_P(Managers, LoaderTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
