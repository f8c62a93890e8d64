// Tests for meta pages (storage/meta.h): encoding, choosing the newer valid
// copy, and the errors for empty, foreign, damaged and truncated files.
#include "storage/meta.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/coding.h"
#include "storage/page.h"

namespace laura {
namespace {

// An in-memory "file" read through a ReadAtFn.
struct Image {
  std::string bytes;
  ReadAtFn reader() const {
    return [this](uint64_t off, size_t n, char* dst) -> absl::Status {
      if (off + n > bytes.size()) return absl::OutOfRangeError("past end");
      bytes.copy(dst, n, off);
      return absl::OkStatus();
    };
  }
  absl::StatusOr<Meta> Load() const { return LoadMeta(reader(), bytes.size()); }
};

Image MakeImage(uint32_t page_size, uint64_t pages, const Meta& m0,
                const Meta& m1) {
  Image img;
  img.bytes.assign(page_size * pages, '\0');
  EncodeMeta(m0, img.bytes.data() + (m0.generation % 2) * page_size);
  EncodeMeta(m1, img.bytes.data() + (m1.generation % 2) * page_size);
  return img;
}

Meta MakeMeta(uint32_t page_size, uint64_t generation, Lsn lsn) {
  Meta m;
  m.page_size = page_size;
  m.generation = generation;
  m.checkpoint_lsn = lsn;
  m.page_count = 8;
  m.root = 5;
  m.free_list_head = 6;
  m.free_count = 1;
  return m;
}

TEST(MetaTest, RoundTripAllFields) {
  std::string page(16384, '\0');
  Meta m = MakeMeta(16384, 9, 1234);
  EncodeMeta(m, page.data());
  auto got = DecodeMeta(page.data(), page.size(), 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->generation, 9u);
  EXPECT_EQ(got->checkpoint_lsn, 1234u);
  EXPECT_EQ(got->root, 5u);
  EXPECT_EQ(got->free_list_head, 6u);
  EXPECT_EQ(got->free_count, 1u);
  EXPECT_EQ(got->page_count, 8u);
  EXPECT_EQ(got->page_size, 16384u);
}

TEST(MetaTest, PicksTheNewerValidCopyForEveryPageSize) {
  for (uint32_t ps = kMinPageSize; ps <= kMaxPageSize; ps *= 2) {
    Image img = MakeImage(ps, 8, MakeMeta(ps, 4, 100), MakeMeta(ps, 5, 200));
    auto m = img.Load();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->generation, 5u);
    EXPECT_EQ(m->page_size, ps);
  }
}

TEST(MetaTest, DamagedNewerCopyFallsBackToOlder) {
  Image img = MakeImage(4096, 8, MakeMeta(4096, 4, 100), MakeMeta(4096, 5, 200));
  img.bytes[4096 + 60] ^= 1;  // page 1 holds generation 5
  auto m = img.Load();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->generation, 4u);
  EXPECT_EQ(m->checkpoint_lsn, 100u);
}

TEST(MetaTest, DamagedPageZeroStillFindsPageOneAtAnyPageSize) {
  // Page 0's page-size field is garbage, so page 1's place must be searched.
  Image img = MakeImage(32768, 8, MakeMeta(32768, 2, 7), MakeMeta(32768, 3, 8));
  img.bytes[44] = 0x7f;
  auto m = img.Load();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->generation, 3u);
}

TEST(MetaTest, BothDamagedIsDataLoss) {
  Image img = MakeImage(4096, 8, MakeMeta(4096, 4, 100), MakeMeta(4096, 5, 200));
  img.bytes[100] ^= 1;
  img.bytes[4096 + 100] ^= 1;
  absl::Status s = img.Load().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("both meta pages are damaged"), std::string::npos);
}

TEST(MetaTest, EmptyTinyAndForeignFilesAreNotLauraDB) {
  Image empty;
  EXPECT_EQ(empty.Load().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.Load().status().message().find("empty"), std::string::npos);
  Image tiny{std::string(50, 'x')};
  EXPECT_EQ(tiny.Load().status().code(), absl::StatusCode::kInvalidArgument);
  Image foreign{std::string(200000, 'x')};
  absl::Status s = foreign.Load().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a LauraDB file"), std::string::npos);
}

TEST(MetaTest, TruncatedFileIsDataLoss) {
  Image img = MakeImage(4096, 8, MakeMeta(4096, 4, 100), MakeMeta(4096, 5, 200));
  img.bytes.resize(4096 * 5);  // the meta page counts 8 pages
  absl::Status s = img.Load().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("truncated"), std::string::npos);
}

TEST(MetaTest, FieldsOutOfRangeAreRejected) {
  Meta m = MakeMeta(4096, 2, 1);
  m.root = 99;  // past page_count
  std::string page(4096, '\0');
  EncodeMeta(m, page.data());
  EXPECT_EQ(DecodeMeta(page.data(), page.size(), 0).status().code(),
            absl::StatusCode::kDataLoss);
  m = MakeMeta(4096, 3, 1);  // odd generation belongs on page 1
  EncodeMeta(m, page.data());
  EXPECT_FALSE(DecodeMeta(page.data(), page.size(), 0).ok());
}

TEST(MetaTest, OtherFormatVersionsAreRefusedNamingBoth) {
  for (uint32_t version : {kFormatVersion - 1, kFormatVersion + 1}) {
    std::string page(4096, '\0');
    EncodeMeta(MakeMeta(4096, 2, 1), page.data());
    EncodeFixed32(page.data() + 40, version);  // the version field (meta.h)
    SealPage(page.data(), page.size(), 0);
    absl::StatusOr<Meta> m = DecodeMeta(page.data(), page.size(), 0);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(m.status().message().find(absl::StrCat("format version ", version)),
              std::string::npos)
        << m.status();
  }
}

}  // namespace
}  // namespace laura
