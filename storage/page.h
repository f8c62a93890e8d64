// Page format: the fixed-size unit of the data file, and the header every
// page starts with.
//
// Page size is chosen when the database is created: a power of two from
// 4 KiB to 64 KiB (default 4 KiB), recorded in the meta page. Page N lives
// at file offset N * page_size. Pages 0 and 1 are the two meta pages
// (storage/meta.h).
//
// Page header, the first kPageHeaderSize = 32 bytes of every page, all
// integers little-endian:
//
//   offset  size  field
//   0       8     checksum: XXH3-64 of bytes [8, page_size) of the page
//   8       8     page id: the page's own number (its offset / page_size)
//   16      8     LSN of the transaction that wrote this version
//   24      1     page type (PageType below)
//   25      1     flags (meaning depends on the type)
//   26      6     reserved, written as zero
//
// A page read from disk is accepted only when its checksum matches and its
// id is the id asked for; an all-zero page (never written) and a page
// holding another page's id are errors, never "page 0".
#ifndef LAURA_STORAGE_PAGE_H_
#define LAURA_STORAGE_PAGE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace laura {

using PageId = uint64_t;
using Lsn = uint64_t;

inline constexpr uint32_t kMinPageSize = 4096;
inline constexpr uint32_t kMaxPageSize = 65536;
inline constexpr uint32_t kDefaultPageSize = 4096;

inline constexpr size_t kPageHeaderSize = 32;
inline constexpr size_t kPageChecksumOffset = 0;
inline constexpr size_t kPageIdOffset = 8;
inline constexpr size_t kPageLsnOffset = 16;
inline constexpr size_t kPageTypeOffset = 24;
inline constexpr size_t kPageFlagsOffset = 25;

// Page types. This list only grows; a value is never reused.
enum class PageType : uint8_t {
  kInvalid = 0,   // never written
  kMeta = 1,      // database header (pages 0 and 1)
  kFreeList = 2,  // ids of free pages (storage/free_list.h)
  kLeaf = 3,      // B+tree leaf node
  kBranch = 4,    // B+tree inner node
  kOverflow = 5,  // continuation of a large value
  kData = 6,      // opaque payload (tests and benchmarks)
};
inline constexpr uint8_t kMaxPageType = 6;

// The decoded page header.
struct PageHeader {
  uint64_t checksum = 0;
  PageId id = 0;
  Lsn lsn = 0;
  PageType type = PageType::kInvalid;
  uint8_t flags = 0;
};

// OK if page_size is a power of two in [kMinPageSize, kMaxPageSize];
// otherwise InvalidArgument naming the value.
absl::Status ValidatePageSize(uint64_t page_size);

// Decodes the header of page[0, n). InvalidArgument if n < kPageHeaderSize.
// Does not verify the checksum (see VerifyPage).
absl::StatusOr<PageHeader> DecodePageHeader(const char* page, size_t n);

// Zeroes the page and writes a header with the given id, type and LSN.
void InitPage(char* page, size_t page_size, PageId id, PageType type, Lsn lsn);

// Writes a fresh header (no checksum yet, reserved bytes zero) and leaves
// the rest of the page as is, e.g. a copy of another page's body.
void InitPageHeader(char* page, PageId id, PageType type, uint8_t flags, Lsn lsn);

// Sets the type, flags and LSN fields, leaving the rest of the page as is.
void SetPageHeaderFields(char* page, PageType type, uint8_t flags, Lsn lsn);

// Stamps id into the header (unless write_id is false: the caller has
// made sure it is there) and writes the checksum of the whole page. Call
// last, after every other byte of the page is final.
void SealPage(char* page, size_t page_size, PageId id, bool write_id = true);

// Checks a page read from disk as page `expected`: DataLoss naming the page
// if it is all zeros, its checksum does not match, its id is not
// `expected`, or its type is unknown.
absl::Status VerifyPage(const char* page, size_t page_size, PageId expected);

}  // namespace laura

#endif  // LAURA_STORAGE_PAGE_H_
