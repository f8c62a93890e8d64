// Page header encoding and verification (format in page.h).
#include "storage/page.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/checksum.h"
#include "storage/coding.h"

namespace laura {

absl::Status ValidatePageSize(uint64_t page_size) {
  const bool power_of_two = page_size != 0 && (page_size & (page_size - 1)) == 0;
  if (!power_of_two || page_size < kMinPageSize || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page size ", page_size, " is not a power of two from ", kMinPageSize,
        " to ", kMaxPageSize));
  }
  return absl::OkStatus();
}

absl::StatusOr<PageHeader> DecodePageHeader(const char* page, size_t n) {
  if (n < kPageHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page of ", n, " bytes is shorter than its ", kPageHeaderSize,
        "-byte header"));
  }
  PageHeader h;
  h.checksum = DecodeFixed64(page + kPageChecksumOffset);
  h.id = DecodeFixed64(page + kPageIdOffset);
  h.lsn = DecodeFixed64(page + kPageLsnOffset);
  h.type = static_cast<PageType>(static_cast<uint8_t>(page[kPageTypeOffset]));
  h.flags = static_cast<uint8_t>(page[kPageFlagsOffset]);
  return h;
}

void InitPage(char* page, size_t page_size, PageId id, PageType type, Lsn lsn) {
  std::memset(page + kPageHeaderSize, 0, page_size - kPageHeaderSize);
  InitPageHeader(page, id, type, 0, lsn);
}

void InitPageHeader(char* page, PageId id, PageType type, uint8_t flags, Lsn lsn) {
  std::memset(page, 0, kPageHeaderSize);
  EncodeFixed64(page + kPageIdOffset, id);
  SetPageHeaderFields(page, type, flags, lsn);
}

void SetPageHeaderFields(char* page, PageType type, uint8_t flags, Lsn lsn) {
  EncodeFixed64(page + kPageLsnOffset, lsn);
  page[kPageTypeOffset] = static_cast<char>(type);
  page[kPageFlagsOffset] = static_cast<char>(flags);
}

void SealPage(char* page, size_t page_size, PageId id, bool write_id) {
  if (write_id) EncodeFixed64(page + kPageIdOffset, id);
  EncodeFixed64(page + kPageChecksumOffset,
                Checksum(page + kPageIdOffset, page_size - kPageIdOffset));
}

namespace {

bool AllZero(const char* p, size_t n) {
  // Compare each 8-byte word; pages are multiples of 4 KiB.
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if (DecodeFixed64(p + i) != 0) return false;
  }
  return true;
}

}  // namespace

absl::Status VerifyPage(const char* page, size_t page_size, PageId expected) {
  if (page_size < kPageHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page size ", page_size, " is smaller than the header"));
  }
  const uint64_t stored = DecodeFixed64(page + kPageChecksumOffset);
  const uint64_t actual =
      Checksum(page + kPageIdOffset, page_size - kPageIdOffset);
  if (stored != actual) {
    if (AllZero(page, page_size)) {
      return absl::DataLossError(absl::StrCat(
          "page ", expected, " was never written (all zero bytes)"));
    }
    return absl::DataLossError(absl::StrCat(
        "checksum mismatch on page ", expected, ": stored ", stored,
        ", computed ", actual));
  }
  const PageId id = DecodeFixed64(page + kPageIdOffset);
  if (id != expected) {
    return absl::DataLossError(absl::StrCat(
        "page ", expected, " holds the contents of page ", id));
  }
  const uint8_t type = static_cast<uint8_t>(page[kPageTypeOffset]);
  if (type == 0 || type > kMaxPageType) {
    return absl::DataLossError(absl::StrCat(
        "page ", expected, " has unknown page type ", type));
  }
  return absl::OkStatus();
}

}  // namespace laura
