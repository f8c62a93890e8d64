// The corruption sweep: every page of a database with several levels,
// overflow values and a free list is damaged in turn (bytes in the header,
// the slot array, the cell area and the last bytes; the whole page zeroed;
// two pages swapped), and the file is truncated at several points. Each
// case opens the database, gets every key, iterates everything and runs
// the checker, on both managers. Every case must end in a clean error or
// correct data: no crash, no hang, and never a wrong value returned as OK.
//
// A second pass forges the damage: the damaged page gets a valid checksum
// again, as a bug or a hostile file could give it. Checksums cannot catch
// that, so a changed value may then read back as OK (counted, allowed);
// what this pass proves is that the parsers bound every decoded length
// and count before using it: no crash, no bad_alloc, no endless walk.
//
// The counts of each outcome are printed. LAURA_SWEEP_STRIDE visits every
// Nth page (default 1 in Release, 3 under sanitizers).
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "laura/db.h"
#include "storage/coding.h"
#include "storage/page.h"
#include "tests/support/manager_params.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

constexpr uint32_t kPageSize = 4096;
using Model = std::map<std::string, std::string>;

uint64_t Stride() {
  const char* env = std::getenv("LAURA_SWEEP_STRIDE");
  return env ? std::max<uint64_t>(1, std::strtoull(env, nullptr, 10)) : (kSanitized ? 3 : 1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// What a case ended in.
enum Outcome { kOpenRefused, kErrorsReported, kAllCorrect, kWrongButForged, kWrong, kOutcomes };
const char* const kOutcomeNames[] = {"open refused", "clean errors", "all data correct",
                                     "changed data read back (forged checksum)",
                                     "WRONG DATA RETURNED AS OK"};

class CorruptionSweepTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  Options MakeOptions() {
    Options o;
    o.disk_manager = GetParam();
    o.mmap_initial_size = 1 * kMiB;
    o.mmap_growth_step = 1 * kMiB;
    o.log_segment_size = 64 * 1024;
    o.cache_size = 64 * kPageSize;
    o.checkpoint_interval_ms = 0;
    o.prefetch_batches = false;
    return o;
  }

  // Three levels of branches and leaves, overflow chains and a free list;
  // closed cleanly (no log to replay).
  void Build() {
    auto db = DB::Open(MakeOptions(), path_);
    ASSERT_TRUE(db.ok()) << db.status();
    for (int round = 0; round < 3; ++round) {
      WriteBatch batch;
      for (int i = round; i < 1500; i += 3) {
        const std::string key = absl::StrFormat("key%05d-%s", i, std::string(i % 40, 'k'));
        const std::string value = i % 97 == 0 ? std::string(9000 + i, static_cast<char>('A' + i % 26))
                                              : absl::StrFormat("value-%d-%s", i, std::string(i % 70, 'v'));
        batch.Put(key, value);
        model_[key] = value;
      }
      ASSERT_TRUE((*db)->Write(batch).ok());
      ASSERT_TRUE((*db)->Checkpoint().ok());
    }
    WriteBatch deletes;  // frees pages: a free list in the file
    for (auto it = model_.begin(); it != model_.end();) {
      if (it->first[7] == '3') {
        deletes.Delete(it->first);
        it = model_.erase(it);
      } else {
        ++it;
      }
    }
    ASSERT_TRUE((*db)->Write(deletes).ok());
    const DBStats st = (*db)->Stats();
    ASSERT_TRUE((*db)->Close().ok());
    original_ = ReadFile(data_);
    page_count_ = st.disk.page_count;
    std::printf("sweep database: %llu pages, %zu keys\n",
                static_cast<unsigned long long>(page_count_), model_.size());
  }

  // Opens the damaged file and reads everything; the outcome.
  Outcome RunCase(const std::string& bytes, bool forged, const std::string& what) {
    WriteFile(data_, bytes);
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(MakeOptions(), path_);
    if (!db.ok()) return kOpenRefused;
    bool errors = false, wrong = false;
    for (const auto& [key, value] : model_) {
      absl::StatusOr<std::string> got = (*db)->Get(key);
      if (got.ok() ? *got != value : absl::IsNotFound(got.status())) {
        wrong = true;
      } else if (!got.ok()) {
        errors = true;
      }
    }
    if (!IterationIsCorrectOrFails(**db)) wrong = true;
    if (!(*db)->Check().ok()) errors = true;
    (*db)->Close().IgnoreError();
    if (wrong && !forged) ADD_FAILURE() << what << ": wrong data returned as OK";
    if (wrong) return forged ? kWrongButForged : kWrong;
    return errors ? kErrorsReported : kAllCorrect;
  }

  // Iterating yields model entries in order; it ends early only with a
  // non-OK status.
  bool IterationIsCorrectOrFails(DB& db) {
    std::unique_ptr<Iterator> it = db.NewIterator();
    auto expected = model_.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      if (expected == model_.end() || it->key() != expected->first ||
          it->value() != expected->second) {
        // A value that could not be read is an error, not data.
        return !it->status().ok();
      }
    }
    return !it->status().ok() || expected == model_.end();
  }

  void Count(Outcome o) { ++counts_[o]; }
  void Report(const char* pass) {
    std::printf("%s on %s:\n", pass, DiskManagerKindName(GetParam()));
    for (int o = 0; o < kOutcomes; ++o) std::printf("  %6d  %s\n", counts_[o], kOutcomeNames[o]);
    for (int& c : counts_) c = 0;
  }

  // Page id of `bytes` with [offset, offset + n) flipped; resealed if forged.
  std::string Damaged(PageId id, size_t offset, size_t n, bool forged) const {
    std::string bytes = original_;
    char* page = bytes.data() + id * kPageSize;
    for (size_t i = offset; i < offset + n && i < kPageSize; ++i) page[i] ^= 0x5a;
    if (forged) SealPage(page, kPageSize, DecodeFixed64(page + kPageIdOffset), false);
    return bytes;
  }

  TempDir dir_;
  const std::string path_ = dir_.File("db");
  const std::string data_ = path_ + "/data.ldb";
  Model model_;
  std::string original_;
  uint64_t page_count_ = 0;
  int counts_[kOutcomes] = {};
};

// Where to damage a page: the header's id, LSN and type fields, the node
// header and slot array, the middle of the cell area, the last bytes.
struct Spot {
  size_t offset, length;
};
constexpr Spot kSpots[] = {{kPageIdOffset, 1}, {kPageLsnOffset, 2}, {kPageTypeOffset, 1},
                           {32, 2},            {36, 4},             {56, 6},
                           {64, 8},            {kPageSize / 2, 16}, {kPageSize - 4, 4}};

TEST_P(CorruptionSweepTest, EveryDamagedPageIsACleanErrorOrCorrectData) {
  Build();
  const uint64_t stride = Stride();
  for (PageId id = 0; id < page_count_; id += stride) {
    for (const Spot& spot : kSpots) {
      Count(RunCase(Damaged(id, spot.offset, spot.length, false), false,
                    absl::StrFormat("page %d bytes %d+%d", id, spot.offset, spot.length)));
    }
    std::string zeroed = original_;
    std::memset(zeroed.data() + id * kPageSize, 0, kPageSize);
    Count(RunCase(zeroed, false, absl::StrFormat("page %d zeroed", id)));
    if (id + 1 < page_count_) {
      std::string swapped = original_;
      std::swap_ranges(swapped.begin() + id * kPageSize, swapped.begin() + (id + 1) * kPageSize,
                       swapped.begin() + (id + 1) * kPageSize);
      Count(RunCase(swapped, false, absl::StrFormat("pages %d and %d swapped", id, id + 1)));
    }
  }
  for (uint64_t cut : {uint64_t{100}, uint64_t{kPageSize} * 2 + 7, page_count_ / 2 * kPageSize,
                       (page_count_ - 1) * kPageSize, page_count_ * kPageSize - 1}) {
    Count(RunCase(original_.substr(0, cut), false, absl::StrFormat("file cut at %d", cut)));
  }
  Report("damage");
  EXPECT_EQ(counts_[kWrong], 0);
}

TEST_P(CorruptionSweepTest, ForgedDamageNeverCrashesOrHangs) {
  Build();
  const uint64_t stride = Stride();
  for (PageId id = 2; id < page_count_; id += stride) {
    for (const Spot& spot : kSpots) {
      if (spot.offset < kPageHeaderSize && spot.offset != kPageTypeOffset) continue;
      Count(RunCase(Damaged(id, spot.offset, spot.length, true), true,
                    absl::StrFormat("page %d bytes %d+%d, forged", id, spot.offset, spot.length)));
    }
  }
  Report("forged damage");
}

INSTANTIATE_TEST_SUITE_P(BothManagers, CorruptionSweepTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
