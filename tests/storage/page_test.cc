// Tests for the page header (storage/page.h): sealing, verification, and
// the errors for zero, foreign, damaged and unknown pages.
#include "storage/page.h"

#include <string>

#include "gtest/gtest.h"
#include "storage/coding.h"

namespace laura {
namespace {

TEST(PageTest, PageSizeMustBePowerOfTwoInRange) {
  for (uint64_t ok : {4096, 8192, 16384, 32768, 65536}) {
    EXPECT_TRUE(ValidatePageSize(ok).ok()) << ok;
  }
  for (uint64_t bad : {0, 1, 2048, 4095, 5000, 12288, 131072}) {
    absl::Status s = ValidatePageSize(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find(std::to_string(bad)), std::string::npos);
  }
}

TEST(PageTest, SealedPageVerifiesAndDecodes) {
  std::string page(8192, '\0');
  InitPage(page.data(), page.size(), 0, PageType::kData, 77);
  page[100] = 'x';
  SealPage(page.data(), page.size(), 42);
  EXPECT_TRUE(VerifyPage(page.data(), page.size(), 42).ok());
  auto h = DecodePageHeader(page.data(), page.size());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->id, 42u);
  EXPECT_EQ(h->lsn, 77u);
  EXPECT_EQ(h->type, PageType::kData);
}

TEST(PageTest, ZeroPageIsNeverPageZero) {
  std::string page(4096, '\0');
  absl::Status s = VerifyPage(page.data(), page.size(), 0);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("never written"), std::string::npos);
}

TEST(PageTest, ForeignPageIdIsDataLoss) {
  std::string page(4096, '\0');
  InitPage(page.data(), page.size(), 0, PageType::kData, 1);
  SealPage(page.data(), page.size(), 7);
  absl::Status s = VerifyPage(page.data(), page.size(), 8);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("holds the contents of page 7"), std::string::npos);
}

TEST(PageTest, EveryFlippedBitIsDetected) {
  std::string page(4096, '\0');
  InitPage(page.data(), page.size(), 0, PageType::kLeaf, 5);
  SealPage(page.data(), page.size(), 3);
  for (size_t byte : {0, 8, 16, 24, 31, 32, 2000, 4095}) {
    std::string bad = page;
    bad[byte] ^= 0x10;
    absl::Status s = VerifyPage(bad.data(), bad.size(), 3);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << "byte " << byte;
  }
}

TEST(PageTest, UnknownTypeIsDataLoss) {
  std::string page(4096, '\0');
  InitPage(page.data(), page.size(), 0, static_cast<PageType>(200), 5);
  SealPage(page.data(), page.size(), 3);
  absl::Status s = VerifyPage(page.data(), page.size(), 3);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("unknown page type"), std::string::npos);
}

TEST(PageTest, ShortBufferHeaderIsAnError) {
  char small[16] = {};
  EXPECT_EQ(DecodePageHeader(small, sizeof(small)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace laura
