// Tests for MappingFaults: a SIGBUS inside a registered range is counted
// and the access completes with zeros; outside every range the process
// dies of SIGBUS as it would have; unregistering gives the range back.
#include "storage/mapping_faults.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace laura {
namespace {

constexpr size_t kLen = 4 * 4096;

// A file of kLen bytes of 'x' mapped MAP_SHARED, then cut to one page, so
// that pages 1..3 of the mapping fault.
class TruncatedMapping {
 public:
  explicit TruncatedMapping(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    const std::string bytes(kLen, 'x');
    EXPECT_EQ(::pwrite(fd_, bytes.data(), kLen, 0), static_cast<ssize_t>(kLen));
    void* p = ::mmap(nullptr, kLen, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    EXPECT_NE(p, MAP_FAILED);
    base_ = static_cast<char*>(p);
    EXPECT_EQ(::ftruncate(fd_, 4096), 0);
  }
  ~TruncatedMapping() {
    ::munmap(base_, kLen);
    ::close(fd_);
  }
  char* base() const { return base_; }

 private:
  int fd_ = -1;
  char* base_ = nullptr;
};

char Load(const char* p) { return *static_cast<const volatile char*>(p); }

// Death by the fault: SIGBUS, or under a sanitizer its report's abort.
bool DiedOfTheFault(int status) {
  return WIFSIGNALED(status) ? WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGABRT
                             : WEXITSTATUS(status) != 0;
}

TEST(MappingFaultsTest, FaultInsideARegisteredRangeIsCountedAndReadsZeros) {
  TempDir dir;
  TruncatedMapping map(dir.File("f"));
  auto faults = MappingFaults::Register(map.base(), kLen);
  ASSERT_TRUE(faults.ok()) << faults.status();
  EXPECT_EQ(Load(map.base()), 'x');  // still in the file
  EXPECT_EQ((*faults)->faults(), 0u);
  EXPECT_EQ(Load(map.base() + 2 * 4096 + 7), '\0');
  EXPECT_EQ((*faults)->faults(), 1u);
  EXPECT_EQ((*faults)->first_fault_offset(), 2u * 4096 + 7);
  // The zero page stays: a second load does not fault again. A store to
  // another missing page faults once and completes.
  EXPECT_EQ(Load(map.base() + 2 * 4096 + 100), '\0');
  map.base()[3 * 4096] = 'y';
  EXPECT_EQ((*faults)->faults(), 2u);
  EXPECT_EQ((*faults)->first_fault_offset(), 2u * 4096 + 7);
}

// One thread's fault maps the zero page; another thread then reads that
// page with nothing ordering it after the first (a relaxed flag, as two
// readers of one database have). Under ThreadSanitizer this must not be a
// race: the handler swaps the page with the raw system call, which the
// sanitizer does not record as a write (mapping_faults.cc, MapZeroPage).
TEST(MappingFaultsTest, AZeroPageMappedOnOneThreadIsReadOnAnotherWithoutARace) {
  TempDir dir;
  TruncatedMapping map(dir.File("f"));
  auto faults = MappingFaults::Register(map.base(), kLen);
  ASSERT_TRUE(faults.ok()) << faults.status();
  char* const missing = map.base() + 2 * 4096 + 16;
  std::atomic<bool> faulted{false};
  char seen_by_second = 'x';
  std::thread second([&] {
    while (!faulted.load(std::memory_order_relaxed)) std::this_thread::yield();
    seen_by_second = Load(missing);
  });
  std::thread first([&] {
    EXPECT_EQ(Load(missing), '\0');
    faulted.store(true, std::memory_order_relaxed);
  });
  first.join();
  second.join();
  EXPECT_EQ(seen_by_second, '\0');
  EXPECT_EQ((*faults)->faults(), 1u);  // the second read found the zero page
}

TEST(MappingFaultsTest, SeveralRangesAreTrackedApart) {
  TempDir dir;
  TruncatedMapping a(dir.File("a")), b(dir.File("b"));
  auto fa = MappingFaults::Register(a.base(), kLen);
  auto fb = MappingFaults::Register(b.base(), kLen);
  ASSERT_TRUE(fa.ok() && fb.ok());
  Load(b.base() + 4096);
  EXPECT_EQ((*fa)->faults(), 0u);
  EXPECT_EQ((*fb)->faults(), 1u);
}

TEST(MappingFaultsDeathTest, FaultOutsideEveryRangeStillKillsTheProcess) {
  TempDir dir;
  TruncatedMapping ours(dir.File("ours"));
  auto faults = MappingFaults::Register(ours.base(), kLen);
  ASSERT_TRUE(faults.ok());
  EXPECT_EXIT(
      {
        TruncatedMapping other(dir.File("other"));
        Load(other.base() + 2 * 4096);
      },
      DiedOfTheFault, "");
}

TEST(MappingFaultsDeathTest, AnUnregisteredRangeIsNoLongerOurs) {
  TempDir dir;
  TruncatedMapping map(dir.File("f"));
  { ASSERT_TRUE(MappingFaults::Register(map.base(), kLen).ok()); }
  EXPECT_EXIT(Load(map.base() + 2 * 4096), DiedOfTheFault, "");
}

TEST(MappingFaultsTest, RegistrationsBeyondTheTableAreRefused) {
  std::vector<std::unique_ptr<MappingFaults>> held;
  static char block[MappingFaults::kMaxRegions + 1];
  absl::Status last;
  for (int i = 0; i <= MappingFaults::kMaxRegions; ++i) {
    auto r = MappingFaults::Register(block + i, 1);
    if (!r.ok()) {
      last = r.status();
      break;
    }
    held.push_back(std::move(*r));
  }
  EXPECT_TRUE(absl::IsResourceExhausted(last)) << last;
  EXPECT_LE(held.size(), static_cast<size_t>(MappingFaults::kMaxRegions));
  held.clear();
  EXPECT_TRUE(MappingFaults::Register(block, 1).ok());
}

}  // namespace
}  // namespace laura
