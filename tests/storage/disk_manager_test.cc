// Behaviour of DiskManager, run against both implementations (pread and
// mmap), which must behave the same: page I/O, allocation and the free
// list, growth with stable page pointers, reopen, damaged meta pages, bad
// input files, read-only mode and concurrent readers.
#include "storage/disk_manager.h"

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/coding.h"
#include "storage/disk_manager_impl.h"
#include "tests/support/manager_params.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

constexpr uint64_t kSmall = 64 * 1024;

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

void PatchFileByte(const std::string& path, uint64_t offset) {
  std::string bytes = ReadFileBytes(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] ^= 0x5a;
  WriteFileBytes(path, bytes);
}

class DiskManagerTest : public ::testing::TestWithParam<DiskManagerKind> {
 protected:
  DiskManagerOptions Options() const {
    DiskManagerOptions o;
    o.initial_size = kSmall;
    o.growth_step = kSmall;
    return o;
  }

  std::unique_ptr<DiskManager> OpenOk(const DiskManagerOptions& o) {
    auto dm = DiskManager::Open(GetParam(), path_, o);
    EXPECT_TRUE(dm.ok()) << dm.status();
    return dm.ok() ? std::move(*dm) : nullptr;
  }
  std::unique_ptr<DiskManager> OpenOk() { return OpenOk(Options()); }

  // A data page whose every payload byte is derived from tag.
  std::string MakePage(uint32_t page_size, uint64_t tag) {
    std::string page(page_size, '\0');
    InitPage(page.data(), page_size, 0, PageType::kData, tag);
    for (size_t i = kPageHeaderSize; i < page_size; ++i) {
      page[i] = static_cast<char>((tag * 131 + i) & 0xff);
    }
    return page;
  }

  void WriteTagged(DiskManager* dm, PageId id, uint64_t tag) {
    std::string page = MakePage(dm->page_size(), tag);
    ASSERT_TRUE(dm->WritePage(id, page.data()).ok());
  }

  void ExpectTagged(DiskManager* dm, PageId id, uint64_t tag) {
    std::string got(dm->page_size(), '\0');
    absl::Status s = dm->ReadPage(id, got.data());
    ASSERT_TRUE(s.ok()) << "page " << id << ": " << s;
    std::string want = MakePage(dm->page_size(), tag);
    EXPECT_EQ(got.compare(kPageHeaderSize, std::string::npos, want,
                          kPageHeaderSize, std::string::npos), 0)
        << "page " << id << " does not hold tag " << tag;
    EXPECT_EQ(DecodeFixed64(got.data() + kPageLsnOffset), tag);
  }

  TempDir dir_;
  const std::string path_ = dir_.File("data.ldb");
};

TEST_P(DiskManagerTest, WriteReadAcrossReopenForEveryPageSize) {
  for (uint32_t ps = kMinPageSize; ps <= kMaxPageSize; ps *= 2) {
    SCOPED_TRACE(ps);
    std::filesystem::remove(path_);
    DiskManagerOptions o = Options();
    o.page_size = ps;
    auto dm = OpenOk(o);
    ASSERT_NE(dm, nullptr);
    EXPECT_EQ(dm->page_size(), ps);
    std::vector<PageId> ids;
    for (int i = 0; i < 20; ++i) {
      auto id = dm->AllocatePage();
      ASSERT_TRUE(id.ok()) << id.status();
      ids.push_back(*id);
      WriteTagged(dm.get(), *id, 1000 + i);
    }
    ASSERT_TRUE(dm->Checkpoint(55, ids[3]).ok());
    ASSERT_TRUE(dm->Close().ok());
    o.page_size = kDefaultPageSize;  // an existing file keeps its own size
    dm = OpenOk(o);
    ASSERT_NE(dm, nullptr);
    EXPECT_EQ(dm->page_size(), ps);
    EXPECT_EQ(dm->durable_meta().checkpoint_lsn, 55u);
    EXPECT_EQ(dm->durable_meta().root, ids[3]);
    for (int i = 0; i < 20; ++i) ExpectTagged(dm.get(), ids[i], 1000 + i);
  }
}

TEST_P(DiskManagerTest, OutOfRangeAndMetaPagesAreRefused) {
  auto dm = OpenOk();
  std::string buf(dm->page_size(), '\0');
  absl::Status s = dm->ReadPage(1000, buf.data());
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(s.message().find("page 1000"), std::string::npos);
  std::string page = MakePage(dm->page_size(), 1);
  EXPECT_EQ(dm->WritePage(0, page.data()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dm->WritePage(1, page.data()).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dm->WritePage(2, page.data()).code(), absl::StatusCode::kInvalidArgument)
      << "page 2 is not allocated yet";
  EXPECT_EQ(dm->PageData(1000), nullptr);
}

TEST_P(DiskManagerTest, AllocatedButUnwrittenPageIsNotAValidPage) {
  auto dm = OpenOk();
  auto id = dm->AllocatePage();
  ASSERT_TRUE(id.ok());
  std::string buf(dm->page_size(), '\0');
  absl::Status s = dm->ReadPage(*id, buf.data());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("never written"), std::string::npos) << s;
}

TEST_P(DiskManagerTest, FreedPagesAreReusedBeforeTheFileGrows) {
  auto dm = OpenOk();
  std::vector<PageId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(*dm->AllocatePage());
  const uint64_t count = dm->page_count();
  ASSERT_TRUE(dm->FreePage(ids[2]).ok());
  ASSERT_TRUE(dm->FreePage(ids[7]).ok());
  EXPECT_EQ(*dm->AllocatePage(), ids[7]);  // the most recently freed first
  EXPECT_EQ(*dm->AllocatePage(), ids[2]);
  EXPECT_EQ(dm->page_count(), count);
  EXPECT_EQ(*dm->AllocatePage(), count);  // then the end of the file
}

TEST_P(DiskManagerTest, DurablePagesFreedAreReusedOnlyAfterTheNextSync) {
  auto dm = OpenOk();
  std::vector<PageId> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(*dm->AllocatePage());
    WriteTagged(dm.get(), ids.back(), i);
  }
  ASSERT_TRUE(dm->Sync().ok());
  // ids[3] is reachable from the durable meta page until the next Sync.
  ASSERT_TRUE(dm->FreePage(ids[3]).ok());
  const uint64_t end = dm->page_count();
  EXPECT_EQ(*dm->AllocatePage(), end) << "a durable page was reused too early";
  ExpectTagged(dm.get(), ids[3], 3);
  EXPECT_EQ(dm->FreePage(ids[3]).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(dm->Sync().ok());
  EXPECT_EQ(*dm->AllocatePage(), ids[3]);
}

TEST_P(DiskManagerTest, CheckpointInTwoStepsLetsTheWriterGoOnBetween) {
  auto dm = OpenOk();
  std::vector<PageId> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(*dm->AllocatePage());
    WriteTagged(dm.get(), ids.back(), i);
  }
  ASSERT_TRUE(dm->Checkpoint(1, ids[0]).ok());
  ASSERT_TRUE(dm->FreePage(ids[1]).ok());  // pending: the free list of LSN 2 lists it
  auto pending = dm->BeginCheckpoint(2, ids[0]);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(dm->BeginCheckpoint(3, ids[0]).status().code(),
            absl::StatusCode::kFailedPrecondition);  // one in flight at a time
  // Between the steps the writer frees, allocates and writes pages.
  ASSERT_TRUE(dm->FreePage(ids[2]).ok());  // reachable from LSN 1's root
  const PageId fresh = *dm->AllocatePage();
  EXPECT_NE(fresh, ids[1]);
  EXPECT_NE(fresh, ids[2]);
  WriteTagged(dm.get(), fresh, 77);
  ASSERT_TRUE(dm->FinishCheckpoint(*pending).ok());
  EXPECT_EQ(dm->durable_meta().checkpoint_lsn, 2u);
  // ids[1] was free as of the checkpoint's plan: reusable now. ids[2] was
  // freed after it and waits for the next checkpoint.
  const PageId next = *dm->AllocatePage();
  EXPECT_EQ(next, ids[1]);
  const PageId after = *dm->AllocatePage();
  EXPECT_NE(after, ids[2]) << "a page freed during a checkpoint was reused too early";
  ExpectTagged(dm.get(), ids[2], 2);
  ASSERT_TRUE(dm->Checkpoint(3, ids[0]).ok());
  EXPECT_EQ(*dm->AllocatePage(), ids[2]);
  // Every page the checkpoints promised survives reopening.
  for (PageId id : {next, after}) WriteTagged(dm.get(), id, 5);
  ASSERT_TRUE(dm->Close().ok());
  dm = OpenOk();
  EXPECT_EQ(dm->durable_meta().checkpoint_lsn, 3u);
  ExpectTagged(dm.get(), fresh, 77);
  ExpectTagged(dm.get(), ids[0], 0);
}

TEST_P(DiskManagerTest, DoubleFreeMetaFreeAndFreePastEndAreRefused) {
  auto dm = OpenOk();
  PageId id = *dm->AllocatePage();
  ASSERT_TRUE(dm->FreePage(id).ok());
  absl::Status twice = dm->FreePage(id);
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(twice.message().find("freed twice"), std::string::npos);
  EXPECT_EQ(dm->FreePage(0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dm->FreePage(1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dm->FreePage(999).code(), absl::StatusCode::kInvalidArgument);
  // The page was handed out once, not twice.
  EXPECT_EQ(*dm->AllocatePage(), id);
  EXPECT_NE(*dm->AllocatePage(), id);
}

TEST_P(DiskManagerTest, FreeListAndHighWaterMarkSurviveReopen) {
  // 3000 free ids need several free-list pages at 4 KiB.
  std::set<PageId> freed;
  uint64_t page_count;
  {
    auto dm = OpenOk();
    std::vector<PageId> ids;
    for (int i = 0; i < 6000; ++i) ids.push_back(*dm->AllocatePage());
    for (int i = 0; i < 6000; ++i) {
      if (i % 2 == 0) {
        ASSERT_TRUE(dm->FreePage(ids[i]).ok());
        freed.insert(ids[i]);
      } else {
        WriteTagged(dm.get(), ids[i], ids[i]);
      }
    }
    ASSERT_TRUE(dm->Sync().ok());
    ASSERT_TRUE(dm->Sync().ok());  // a second sync rewrites the list elsewhere
    page_count = dm->page_count();
    ASSERT_TRUE(dm->Close().ok());
  }
  auto dm = OpenOk();
  EXPECT_EQ(dm->page_count(), page_count);
  // The current list occupies some freed pages; the previous list's pages
  // are free again.
  const size_t capacity = FreeListCapacity(dm->page_size());
  const size_t list_pages = (freed.size() + capacity - 1) / capacity;
  EXPECT_EQ(dm->Stats().free_pages, freed.size() - list_pages);
  std::set<PageId> handed_out;
  const uint64_t free_now = dm->Stats().free_pages;
  for (uint64_t i = 0; i < free_now; ++i) {
    PageId id = *dm->AllocatePage();
    EXPECT_LT(id, page_count);
    EXPECT_TRUE(handed_out.insert(id).second) << "page " << id << " handed out twice";
  }
  EXPECT_EQ(dm->page_count(), page_count) << "free pages come before growth";
  EXPECT_EQ(*dm->AllocatePage(), page_count);
  for (PageId id = 2; id < page_count; ++id) {
    if (!freed.contains(id) && !handed_out.contains(id)) {
      // Every page that was neither freed nor reused still has its data,
      // except the pages holding the durable free list.
      std::string buf(dm->page_size(), '\0');
      if (dm->ReadPage(id, buf.data()).ok() &&
          static_cast<PageType>(buf[kPageTypeOffset]) == PageType::kData) {
        ExpectTagged(dm.get(), id, id);
      }
    }
  }
}

TEST_P(DiskManagerTest, GrowthUsesTheConfiguredStepAndKeepsPointersValid) {
  auto dm = OpenOk();
  PageId first = *dm->AllocatePage();
  WriteTagged(dm.get(), first, 4242);
  const char* early = dm->PageData(first);
  EXPECT_EQ(dm->Stats().file_size, kSmall);
  // Grow to 300x the initial size: 20 MiB in 64 KiB steps.
  const uint64_t pages = 300 * kSmall / dm->page_size();
  for (uint64_t i = 0; i < pages; ++i) {
    auto id = dm->AllocatePage();
    ASSERT_TRUE(id.ok()) << id.status();
    if (i % 97 == 0) WriteTagged(dm.get(), *id, *id);
  }
  DiskStats st = dm->Stats();
  EXPECT_EQ(st.file_size % kSmall, 0u) << "growth is in steps of growth_step";
  EXPECT_EQ(st.file_size, (dm->page_count() * dm->page_size() + kSmall - 1) /
                              kSmall * kSmall);
  if (GetParam() == DiskManagerKind::kMmap) {
    ASSERT_NE(early, nullptr);
    EXPECT_EQ(dm->PageData(first), early) << "the mapping never moves";
    EXPECT_EQ(DecodeFixed64(early + kPageLsnOffset), 4242u);
    EXPECT_EQ(st.mapped_size, st.file_size);
    EXPECT_GE(st.remaps, 299u);
  } else {
    EXPECT_EQ(early, nullptr);
    EXPECT_EQ(st.mapped_size, 0u);
  }
  // No sparse hole: every byte of the file has disk blocks.
  struct stat sb;
  ASSERT_EQ(::stat(path_.c_str(), &sb), 0);
  EXPECT_GE(static_cast<uint64_t>(sb.st_blocks) * 512, st.file_size);
  ExpectTagged(dm.get(), first, 4242);
}

TEST_P(DiskManagerTest, FreeTailIsTruncatedAtCheckpoint) {
  auto dm = OpenOk();
  const uint32_t ps = dm->page_size();
  std::vector<PageId> ids;
  for (int i = 0; i < 2000; ++i) {
    auto id = dm->AllocatePage();
    ASSERT_TRUE(id.ok()) << id.status();
    WriteTagged(dm.get(), *id, *id);
    ids.push_back(*id);
  }
  ASSERT_TRUE(dm->Sync().ok());
  const char* first_page = dm->PageData(ids[0]);
  const uint64_t grown = dm->Stats().file_size;
  ASSERT_GE(grown, 2002u * ps);
  // Free the last 1500 pages: reusable after the next checkpoint, given up
  // (trimmed) by a later one once the pages holding the free list moved
  // off the end, and the file truncated then.
  for (size_t i = 500; i < ids.size(); ++i) ASSERT_TRUE(dm->FreePage(ids[i]).ok());
  ASSERT_TRUE(dm->Sync().ok());
  EXPECT_EQ(dm->Stats().shrinks, 0u) << "the durable meta page still counted them";
  int syncs = 1;
  while (dm->Stats().shrinks == 0 && syncs < 3) {
    ASSERT_TRUE(dm->Sync().ok());
    ++syncs;
  }
  DiskStats st = dm->Stats();
  EXPECT_EQ(st.shrinks, 1u);
  EXPECT_LT(st.page_count, 520u);
  EXPECT_EQ(st.file_size, RoundUp(st.page_count * ps + kSmall / 2, ps));
  struct stat sb;
  ASSERT_EQ(::stat(path_.c_str(), &sb), 0);
  EXPECT_EQ(static_cast<uint64_t>(sb.st_size), st.file_size) << "the file itself is shorter";
  if (GetParam() == DiskManagerKind::kMmap) {
    EXPECT_EQ(st.mapped_size, st.file_size);
    EXPECT_EQ(dm->PageData(ids[0]), first_page) << "the mapping never moves";
  }
  for (size_t i = 0; i < 500; i += 37) ExpectTagged(dm.get(), ids[i], ids[i]);
  // Another checkpoint with nothing new freed does not shrink again, and
  // the file grows back into the same addresses.
  ASSERT_TRUE(dm->Sync().ok());
  EXPECT_EQ(dm->Stats().shrinks, 1u);
  std::vector<PageId> again;
  for (int i = 0; i < 1000; ++i) {
    auto id = dm->AllocatePage();
    ASSERT_TRUE(id.ok()) << id.status();
    WriteTagged(dm.get(), *id, *id + 7);
    again.push_back(*id);
  }
  ASSERT_TRUE(dm->Sync().ok());
  EXPECT_EQ(dm->Stats().shrinks, 1u) << "a file that just grew does not shrink";
  ASSERT_TRUE(dm->Close().ok());
  dm = OpenOk();
  for (size_t i = 0; i < 500; i += 37) ExpectTagged(dm.get(), ids[i], ids[i]);
  for (size_t i = 0; i < again.size(); i += 41) ExpectTagged(dm.get(), again[i], again[i] + 7);
  EXPECT_EQ(dm->Stats().page_count, dm->durable_meta().page_count);
}

TEST_P(DiskManagerTest, DefaultGrowthStartsSmallAndIsGeometric) {
  DiskManagerOptions o;  // defaults
  auto dm = OpenOk(o);
  EXPECT_LE(dm->Stats().file_size, 64u * 1024) << "an empty file is small";
  const uint32_t ps = dm->page_size();
  uint64_t last_size = dm->Stats().file_size;
  uint64_t grows = 0;
  for (int i = 0; i < 40000; ++i) {  // about 160 MiB
    ASSERT_TRUE(dm->AllocatePage().ok());
    const uint64_t size = dm->Stats().file_size;
    if (size == last_size) continue;
    ++grows;
    const uint64_t step = size - last_size;
    const uint64_t cap = GetParam() == DiskManagerKind::kMmap ? 64 * kMiB : 8 * kMiB;
    EXPECT_EQ(step, std::min(cap, std::max<uint64_t>(64 * 1024, RoundUp(last_size / 4, ps))))
        << "from " << last_size;
    last_size = size;
  }
  EXPECT_GE(last_size, 40000u * ps);
  EXPECT_LE(last_size, 40002u * ps + 64 * kMiB);
  EXPECT_LT(grows, 60u) << "growth is geometric, not page by page";
}

TEST_P(DiskManagerTest, EachDamagedMetaPageInTurnFallsBackToTheOther) {
  PageId a, b;
  {
    auto dm = OpenOk();
    a = *dm->AllocatePage();
    WriteTagged(dm.get(), a, 1);
    ASSERT_TRUE(dm->Checkpoint(10, a).ok());  // generation 2 -> page 0
    b = *dm->AllocatePage();
    WriteTagged(dm.get(), b, 2);
    ASSERT_TRUE(dm->Checkpoint(20, b).ok());  // generation 3 -> page 1
    ASSERT_TRUE(dm->Close().ok());            // generation 4 -> page 0
  }
  const std::string pristine = ReadFileBytes(path_);
  const uint32_t ps = kDefaultPageSize;
  // Damage page 0 (newest, LSN 20 gen 4): page 1 (LSN 20 gen 3) is used.
  PatchFileByte(path_, 200);
  {
    auto dm = OpenOk();
    ASSERT_NE(dm, nullptr);
    EXPECT_EQ(dm->durable_meta().generation, 3u);
    EXPECT_EQ(dm->durable_meta().root, b);
    ExpectTagged(dm.get(), b, 2);
  }
  // Damage page 1 only: page 0 is used.
  WriteFileBytes(path_, pristine);
  PatchFileByte(path_, ps + 200);
  {
    auto dm = OpenOk();
    ASSERT_NE(dm, nullptr);
    EXPECT_EQ(dm->durable_meta().generation, 4u);
  }
  // Both damaged: a clear DataLoss, and the file is left as it was.
  PatchFileByte(path_, 200);
  const std::string damaged = ReadFileBytes(path_);
  auto dm = DiskManager::Open(GetParam(), path_, Options());
  EXPECT_EQ(dm.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(dm.status().message().find("both meta pages are damaged"),
            std::string::npos);
  EXPECT_EQ(ReadFileBytes(path_), damaged);
}

TEST_P(DiskManagerTest, DamagedDataPageIsDataLossNamingThePage) {
  PageId id;
  {
    auto dm = OpenOk();
    id = *dm->AllocatePage();
    WriteTagged(dm.get(), id, 9);
    ASSERT_TRUE(dm->Close().ok());
  }
  PatchFileByte(path_, id * kDefaultPageSize + 1000);
  auto dm = OpenOk();
  std::string buf(dm->page_size(), '\0');
  absl::Status s = dm->ReadPage(id, buf.data());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("checksum mismatch on page " + std::to_string(id)),
            std::string::npos) << s;
}

TEST_P(DiskManagerTest, BadFilesGetClearErrorsAndStayUntouched) {
  struct Case {
    const char* name;
    std::string bytes;
    absl::StatusCode code;
    const char* words;
  };
  std::string valid;
  {
    auto dm = OpenOk();
    for (int i = 0; i < 30; ++i) WriteTagged(dm.get(), *dm->AllocatePage(), i);
    ASSERT_TRUE(dm->Close().ok());
    valid = ReadFileBytes(path_);
  }
  std::string foreign = "SQLite format 3";
  foreign.resize(8192, '\x01');
  const std::vector<Case> cases = {
      {"empty", "", absl::StatusCode::kInvalidArgument, "empty"},
      {"tiny", "hello", absl::StatusCode::kInvalidArgument, "too small"},
      {"foreign", foreign, absl::StatusCode::kInvalidArgument, "not a LauraDB file"},
      {"truncated", valid.substr(0, 5 * kDefaultPageSize),
       absl::StatusCode::kDataLoss, "truncated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WriteFileBytes(path_, c.bytes);
    auto dm = DiskManager::Open(GetParam(), path_, Options());
    ASSERT_FALSE(dm.ok());
    EXPECT_EQ(dm.status().code(), c.code) << dm.status();
    EXPECT_NE(dm.status().message().find(c.words), std::string::npos) << dm.status();
    EXPECT_NE(dm.status().message().find(path_), std::string::npos) << dm.status();
    EXPECT_EQ(ReadFileBytes(path_), c.bytes) << "the file was modified";
  }
}

TEST_P(DiskManagerTest, BadPageSizeIsRefusedAndCreatesNothing) {
  DiskManagerOptions o = Options();
  o.page_size = 5000;
  auto dm = DiskManager::Open(GetParam(), path_, o);
  EXPECT_EQ(dm.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dm.status().message().find("5000"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_P(DiskManagerTest, MissingFileWithoutCreateIsNotFound) {
  DiskManagerOptions o = Options();
  o.create_if_missing = false;
  EXPECT_EQ(DiskManager::Open(GetParam(), path_, o).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_P(DiskManagerTest, FilesOpenWithTheOtherManager) {
  const DiskManagerKind other = GetParam() == DiskManagerKind::kMmap
                                    ? DiskManagerKind::kPread
                                    : DiskManagerKind::kMmap;
  std::vector<PageId> ids;
  {
    auto dm = OpenOk();
    for (int i = 0; i < 50; ++i) {
      ids.push_back(*dm->AllocatePage());
      WriteTagged(dm.get(), ids.back(), 7 * i);
    }
    for (int i = 10; i < 13; ++i) ASSERT_TRUE(dm->FreePage(ids[i]).ok());
    ASSERT_TRUE(dm->Close().ok());
  }
  auto dm = DiskManager::Open(other, path_, Options());
  ASSERT_TRUE(dm.ok()) << dm.status();
  for (int i = 0; i < 50; ++i) {
    if (i < 10 || i >= 13) ExpectTagged(dm->get(), ids[i], 7 * i);
  }
  // One freed page holds the free list, which lists the other two.
  EXPECT_EQ((*dm)->Stats().free_pages, 2u);
  const std::set<PageId> freed = {ids[10], ids[11], ids[12]};
  const PageId first = *(*dm)->AllocatePage();
  const PageId second = *(*dm)->AllocatePage();
  EXPECT_TRUE(freed.contains(first)) << first;
  EXPECT_TRUE(freed.contains(second)) << second;
  EXPECT_NE(first, second);
}

TEST_P(DiskManagerTest, ReadOnlyRefusesWritesAndReads) {
  PageId id;
  {
    auto dm = OpenOk();
    id = *dm->AllocatePage();
    WriteTagged(dm.get(), id, 5);
    ASSERT_TRUE(dm->Close().ok());
  }
  const std::string before = ReadFileBytes(path_);
  DiskManagerOptions o = Options();
  o.read_only = true;
  auto dm = OpenOk(o);
  ASSERT_NE(dm, nullptr);
  ExpectTagged(dm.get(), id, 5);
  std::string page = MakePage(dm->page_size(), 6);
  for (absl::Status s : {dm->WritePage(id, page.data()), dm->AllocatePage().status(),
                         dm->FreePage(id), dm->Sync()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("read-only"), std::string::npos) << s;
  }
  EXPECT_TRUE(dm->Close().ok());
  EXPECT_EQ(ReadFileBytes(path_), before);
  // A missing file is not created in read-only mode.
  EXPECT_EQ(DiskManager::Open(GetParam(), dir_.File("none"), o).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(DiskManagerTest, ClosedManagerRefusesCalls) {
  auto dm = OpenOk();
  PageId id = *dm->AllocatePage();
  WriteTagged(dm.get(), id, 1);
  ASSERT_TRUE(dm->Close().ok());
  std::string buf(dm->page_size(), '\0');
  EXPECT_EQ(dm->ReadPage(id, buf.data()).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(dm->AllocatePage().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(dm->PageData(id), nullptr);
  EXPECT_FALSE(dm->Close().ok());
}

TEST_P(DiskManagerTest, AdviceAndStats) {
  auto dm = OpenOk();
  for (int i = 0; i < 8; ++i) WriteTagged(dm.get(), *dm->AllocatePage(), i);
  EXPECT_TRUE(dm->AdviseRandom().ok());
  EXPECT_TRUE(dm->AdviseSequential().ok());
  EXPECT_TRUE(dm->AdviseWillNeed(2, 9).ok());
  EXPECT_EQ(dm->AdviseWillNeed(5, 4).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dm->AdviseWillNeed(2, 1000).code(), absl::StatusCode::kInvalidArgument);
  std::string buf(dm->page_size(), '\0');
  ASSERT_TRUE(dm->ReadPage(3, buf.data()).ok());
  ASSERT_TRUE(dm->Sync().ok());
  DiskStats st = dm->Stats();
  EXPECT_EQ(st.pages_written, 8u);
  EXPECT_EQ(st.pages_read, 1u);
  EXPECT_EQ(st.syncs, 1u);
  EXPECT_EQ(st.page_count, 10u);
  EXPECT_NE(st.ToString().find("page_count=10"), std::string::npos);
}

// The mmap manager writes pages with pwrite, and its mapping shows them at
// once; the mapping itself is read-only, so a stray store faults instead of
// changing a committed page (mmap_disk_manager.cc, invariant 3).
TEST_P(DiskManagerTest, WrittenPagesShowInTheMappingAtOnceAndSurviveReopen) {
  PageId id;
  {
    auto dm = OpenOk();
    id = *dm->AllocatePage();
    std::string want = MakePage(dm->page_size(), 31);
    ASSERT_TRUE(dm->WritePage(id, want.data()).ok());  // sealed in `want` too
    if (GetParam() == DiskManagerKind::kPread) {
      EXPECT_EQ(dm->PageData(id), nullptr);
    } else {
      ASSERT_NE(dm->PageData(id), nullptr);
      EXPECT_EQ(std::memcmp(dm->PageData(id), want.data(), want.size()), 0);
      char* stray = const_cast<char*>(dm->PageData(id));
      EXPECT_DEATH(stray[100] = 1, "") << "the mapping must be read-only";
    }
    ExpectTagged(dm.get(), id, 31);
    ASSERT_TRUE(dm->Close().ok());
  }
  auto dm = OpenOk();
  ExpectTagged(dm.get(), id, 31);
}

TEST_P(DiskManagerTest, WriteBehindOptionKeepsDataCorrect) {
  DiskManagerOptions o = Options();
  o.write_behind_bytes = 8 * kDefaultPageSize;
  std::vector<PageId> ids;
  {
    auto dm = OpenOk(o);
    for (int i = 0; i < 100; ++i) {
      ids.push_back(*dm->AllocatePage());
      WriteTagged(dm.get(), ids.back(), i);
    }
    ASSERT_TRUE(dm->Close().ok());
  }
  auto dm = OpenOk(o);
  for (int i = 0; i < 100; ++i) ExpectTagged(dm.get(), ids[i], i);
}

TEST_P(DiskManagerTest, SequentialHintWritesBehindAndKeepsEveryPage) {
  // More than kSequentialWriteBehindBytes, so write-back starts (and the
  // mmap manager drops written pages from its resident set) mid-way.
  const int pages = 2 * kSequentialWriteBehindBytes / kDefaultPageSize + 10;
  std::vector<PageId> ids;
  {
    auto dm = OpenOk();
    ASSERT_TRUE(dm->AdviseSequential().ok());
    for (int i = 0; i < pages; ++i) {
      ids.push_back(*dm->AllocatePage());
      WriteTagged(dm.get(), ids.back(), i + 1);
    }
    for (int i = 0; i < pages; i += 97) ExpectTagged(dm.get(), ids[i], i + 1);  // before a sync
    ASSERT_TRUE(dm->AdviseRandom().ok());
    ASSERT_TRUE(dm->Close().ok());
  }
  auto dm = OpenOk();
  for (int i = 0; i < pages; ++i) ExpectTagged(dm.get(), ids[i], i + 1);
}

TEST_P(DiskManagerTest, ReadersRunWhileTheWriterGrowsTheFile) {
  auto dm = OpenOk();
  PageId first = *dm->AllocatePage();
  WriteTagged(dm.get(), first, 1);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      std::string buf(dm->page_size(), '\0');
      while (!stop.load()) {
        ASSERT_TRUE(dm->ReadPage(first, buf.data()).ok());
        ASSERT_EQ(DecodeFixed64(buf.data() + kPageLsnOffset), 1u);
        reads.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 3000; ++i) {
    PageId id = *dm->AllocatePage();
    WriteTagged(dm.get(), id, id);
    if (i % 500 == 0) {
      ASSERT_TRUE(dm->Sync().ok());
    }
  }
  while (reads.load() < 100) std::this_thread::yield();
  stop.store(true);
  for (auto& t : readers) t.join();
  ASSERT_TRUE(dm->Close().ok());
}

// The VmFlags of every mapping of /proc/self/smaps that overlaps
// [lo, hi), e.g. "rd mr me ms rr".
std::vector<std::string> VmFlagsOver(const char* lo, const char* hi) {
  std::ifstream smaps("/proc/self/smaps");
  std::vector<std::string> flags;
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &start, &end) == 2 && line.find('-') < 17) {
      inside = start < reinterpret_cast<uintptr_t>(hi) && end > reinterpret_cast<uintptr_t>(lo);
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      flags.push_back(line.substr(8));
    }
  }
  return flags;
}

// mmap_disk_manager.cc, invariant 7: every mapped extent, also those mapped
// as the file grows, has random access advice ("rr" in smaps) from open,
// and sequential advice ("sr") once asked for, until random again.
TEST(MmapAdviceTest, EveryExtentIsRandomUntilSequentialIsAskedFor) {
  TempDir dir;
  DiskManagerOptions o;
  o.initial_size = kSmall;
  o.growth_step = kSmall;
  auto dm = DiskManager::Open(DiskManagerKind::kMmap, dir.File("data.ldb"), o);
  ASSERT_TRUE(dm.ok()) << dm.status();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE((*dm)->AllocatePage().ok());  // grows twice
  ASSERT_GE((*dm)->Stats().remaps, 2u);
  const char* lo = (*dm)->PageData(0);
  const char* hi = lo + (*dm)->Stats().mapped_size;
  auto expect_all = [&](const std::string& flag) {
    const std::vector<std::string> flags = VmFlagsOver(lo, hi);
    ASSERT_FALSE(flags.empty());
    for (const std::string& f : flags) EXPECT_NE(f.find(" " + flag), std::string::npos) << f;
  };
  expect_all("rr");
  ASSERT_TRUE((*dm)->AdviseSequential().ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*dm)->AllocatePage().ok());  // one more extent
  hi = lo + (*dm)->Stats().mapped_size;
  expect_all("sr");
  ASSERT_TRUE((*dm)->AdviseRandom().ok());
  expect_all("rr");
}

INSTANTIATE_TEST_SUITE_P(BothManagers, DiskManagerTest, BothManagers(), ManagerName());

}  // namespace
}  // namespace laura
