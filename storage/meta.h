// Meta pages: the database header, kept twice (pages 0 and 1).
//
// Each checkpoint writes the older copy and syncs it; that write is the only
// in-place write that makes new state durable. Opening reads both, keeps
// those that verify, and picks the one with the higher (checkpoint LSN,
// generation). Generation grows by one with every meta write, and
// generation g is written to page g % 2, so writes alternate.
//
// Meta page layout: the common page header (storage/page.h, type kMeta,
// id 0 or 1), then, little-endian:
//
//   offset  size  field
//   32      8     magic: the bytes "LauraDB\0"
//   40      4     format version (kFormatVersion)
//   44      4     page size in bytes
//   48      8     generation
//   56      8     checkpoint LSN: log records up to it are in the file
//   64      8     root page id of the B+tree (0 = empty tree)
//   72      8     free-list head page id (0 = no free-list pages)
//   80      8     number of free page ids on the free list
//   88      8     page count: pages [0, page count) exist in the file
//   96      8     root LSN: the LSN in the root page's header, so a lost or
//                 misdirected write of the root is DataLoss at open
//                 (0 with no root)
//   104     -     zero to the end of the page
//
// The header checksum covers the whole page, as for every page.
#ifndef LAURA_STORAGE_META_H_
#define LAURA_STORAGE_META_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/page.h"

namespace laura {

inline constexpr char kMetaMagic[8] = {'L', 'a', 'u', 'r', 'a', 'D', 'B', '\0'};
// Storage format versions only grow. 1: first format. 2: B+tree slots
// carry key heads and nodes a key prefix (btree/node.h). 3: branch cells
// and the meta page carry the LSN their child page must have. A build
// reads only kFormatVersion: older files are refused with how to migrate
// (export with the build that wrote them, import into a new database),
// never misread.
inline constexpr uint32_t kFormatVersion = 3;
inline constexpr size_t kMetaMagicOffset = 32;
inline constexpr size_t kMetaEncodedSize = 104;  // header + fields above
inline constexpr PageId kFirstDataPage = 2;     // pages 0, 1 are meta

struct Meta {
  uint32_t page_size = kDefaultPageSize;
  uint64_t generation = 0;
  Lsn checkpoint_lsn = 0;
  PageId root = 0;
  Lsn root_lsn = 0;
  PageId free_list_head = 0;
  uint64_t free_count = 0;
  uint64_t page_count = kFirstDataPage;
};

// Writes the whole meta page (page_size bytes, sealed) for m into page; the
// page id is m.generation % 2. REQUIRES: page_size == m.page_size.
void EncodeMeta(const Meta& m, char* page);

// Writes m as both meta pages of a new file, generations 0 and 1 (page 0
// and page 1), through write(id, page); m.generation is ignored.
absl::Status WriteBothMetaPages(Meta m,
                                const std::function<absl::Status(PageId, const char*)>& write);

// Decodes and verifies page[0, n) as meta page `id`: DataLoss if the
// checksum, id, version or any field is invalid, InvalidArgument ("not a
// LauraDB file") if the magic is wrong. Never reads outside [0, n).
absl::StatusOr<Meta> DecodeMeta(const char* page, size_t n, PageId id);

// Reads n bytes at offset into dst; OutOfRange past end of file.
using ReadAtFn = std::function<absl::Status(uint64_t offset, size_t n, char* dst)>;

// Finds the current meta of a file of file_size bytes read through `read`:
// tries page 0 and page 1 (at every possible page size if page 0 cannot
// tell it), returns the valid copy with the higher (LSN, generation), and
// checks that the file holds page_count pages. Errors: InvalidArgument for
// an empty, tiny or foreign file, DataLoss when both copies are damaged or
// the file is truncated.
absl::StatusOr<Meta> LoadMeta(const ReadAtFn& read, uint64_t file_size);

}  // namespace laura

#endif  // LAURA_STORAGE_META_H_
