// Tests for storage/coding.h: fixed-width and varint round trips, and that
// truncated or over-long varints are rejected without reading past the end.
#include "storage/coding.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace laura {
namespace {

TEST(CodingTest, FixedWidthIsLittleEndian) {
  char buf[8];
  EncodeFixed32(buf, 0x04030201);
  EXPECT_EQ(std::string(buf, 4), std::string("\x01\x02\x03\x04", 4));
  EncodeFixed64(buf, 0x0807060504030201ULL);
  EXPECT_EQ(std::string(buf, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(DecodeFixed64(buf), 0x0807060504030201ULL);
  EncodeFixed16(buf, 0xbeef);
  EXPECT_EQ(DecodeFixed16(buf), 0xbeef);
}

// Loads and stores at every alignment, with bytes whose high bit is set
// (no sign extension), read back byte by byte.
TEST(CodingTest, FixedWidthAtAnyAlignment) {
  for (size_t offset = 0; offset < 8; ++offset) {
    char buf[24] = {};
    char* at = buf + offset;
    EncodeFixed64(at, 0xf1e2d3c4b5a69788ULL);
    const unsigned char want64[] = {0x88, 0x97, 0xa6, 0xb5, 0xc4, 0xd3, 0xe2, 0xf1};
    for (int i = 0; i < 8; ++i) ASSERT_EQ(static_cast<unsigned char>(at[i]), want64[i]) << offset;
    EXPECT_EQ(DecodeFixed64(at), 0xf1e2d3c4b5a69788ULL);
    EXPECT_EQ(DecodeFixed32(at), 0xb5a69788u);
    EXPECT_EQ(DecodeFixed16(at + 6), 0xf1e2u);
    EncodeFixed32(at + 8, 0xfedcba98u);
    EXPECT_EQ(static_cast<unsigned char>(at[8]), 0x98);
    EXPECT_EQ(static_cast<unsigned char>(at[11]), 0xfe);
    EXPECT_EQ(DecodeFixed32(at + 8), 0xfedcba98u);
    EncodeFixed16(at + 12, 0x80ff);
    EXPECT_EQ(static_cast<unsigned char>(at[12]), 0xff);
    EXPECT_EQ(static_cast<unsigned char>(at[13]), 0x80);
    EXPECT_EQ(DecodeFixed16(at + 12), 0x80ffu);
  }
}

TEST(CodingTest, VarintRoundTrip) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 16383, 16384,
                                  UINT32_MAX, uint64_t{UINT32_MAX} + 1,
                                  UINT64_MAX - 1, UINT64_MAX};
  std::string buf;
  for (uint64_t v : values) PutVarint64(&buf, v);
  absl::string_view in = buf;
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(VarintLength(UINT64_MAX), kMaxVarint64Bytes);
  EXPECT_EQ(VarintLength(127), 1);
  EXPECT_EQ(VarintLength(128), 2);
}

TEST(CodingTest, TruncatedVarintIsRejectedAndInputKept) {
  std::string buf;
  PutVarint64(&buf, uint64_t{1} << 40);
  for (size_t cut = 0; cut < buf.size(); ++cut) {
    absl::string_view in(buf.data(), cut);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << "cut at " << cut;
    EXPECT_EQ(in.size(), cut);
  }
}

TEST(CodingTest, OverlongVarintsAreRejected) {
  // Eleven continuation bytes: longer than any 64-bit varint.
  std::string eleven(11, '\x80');
  absl::string_view in = eleven;
  uint64_t v64;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  // A 10th byte carrying more than the top bit overflows 64 bits.
  std::string overflow(9, '\xff');
  overflow.push_back('\x02');
  in = overflow;
  EXPECT_FALSE(GetVarint64(&in, &v64));
  // A value above 2^32 - 1 is not a varint32.
  std::string big;
  PutVarint64(&big, uint64_t{UINT32_MAX} + 1);
  in = big;
  uint32_t v32;
  EXPECT_FALSE(GetVarint32(&in, &v32));
  std::string max32;
  PutVarint32(&max32, UINT32_MAX);
  in = max32;
  ASSERT_TRUE(GetVarint32(&in, &v32));
  EXPECT_EQ(v32, UINT32_MAX);
}

TEST(CodingTest, GetFixedChecksLength) {
  std::string buf;
  PutFixed64(&buf, 42);
  absl::string_view short_in(buf.data(), 7);
  uint64_t v;
  EXPECT_FALSE(GetFixed64(&short_in, &v));
  absl::string_view in = buf;
  ASSERT_TRUE(GetFixed64(&in, &v));
  EXPECT_EQ(v, 42u);
  uint32_t w;
  EXPECT_FALSE(GetFixed32(&in, &w));
}

}  // namespace
}  // namespace laura
