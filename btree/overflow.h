// Overflow pages: values too large to sit inline in a leaf are stored in a
// chain of overflow pages, referenced from the leaf cell by the first
// page id and the value's length.
//
// Overflow page layout: the common page header (storage/page.h, type
// kOverflow), then, little-endian:
//
//   offset  size  field
//   32      8     next overflow page id (0 = last)
//   40      4     bytes of value data on this page
//   44      4     reserved, zero
//   48      ...   value data
//
// Chains are written once and never changed; a copied leaf shares its
// chains. A chain is freed when its key is deleted or overwritten.
#ifndef LAURA_BTREE_OVERFLOW_H_
#define LAURA_BTREE_OVERFLOW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "btree/node.h"
#include "storage/pager.h"

namespace laura {

inline constexpr size_t kOverflowDataOffset = 48;

// Writes value into a new chain; returns its first page id.
absl::StatusOr<PageId> WriteOverflow(Pager* pager, absl::string_view value, Lsn lsn);

// Encodes the leaf cell for (key, value) into *cell: inline when the cell
// fits in MaxCellSize(page size), otherwise the value goes to a new
// overflow chain (written at lsn) and the cell references it.
// REQUIRES: key.size() <= MaxKeySize (btree.h checks the limits).
absl::Status EncodeLeafEntry(Pager* pager, absl::string_view key, absl::string_view value,
                             Lsn lsn, std::string* cell);

// Reads a chain of `length` bytes into *out. DataLoss naming the page if
// the chain is shorter or longer than length, loops or is malformed.
absl::Status ReadOverflow(Pager* pager, PageId first, uint64_t length, std::string* out);

// The page ids of a chain (checked as ReadOverflow does).
absl::StatusOr<std::vector<PageId>> OverflowPages(Pager* pager, PageId first,
                                                  uint64_t length);

}  // namespace laura

#endif  // LAURA_BTREE_OVERFLOW_H_
