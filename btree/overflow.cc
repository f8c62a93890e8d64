// Overflow chains (format in overflow.h).
#include "btree/overflow.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "storage/coding.h"
#include "storage/status_macros.h"

namespace laura {
namespace {

size_t Capacity(const Pager* pager) { return pager->page_size() - kOverflowDataOffset; }

// A length read from a cell is untrusted: a chain cannot hold more bytes
// than the file has pages for, so a larger one is damage, found before it
// sizes a buffer or a walk.
absl::Status CheckOverflowLength(const Pager* pager, PageId first, uint64_t length) {
  const uint64_t pages = pager->disk()->page_count();
  if (length / Capacity(pager) < pages) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("overflow value of ", length, " bytes from page ", first,
                                          " is larger than the ", pages, "-page database"));
}

// Visits each page of a chain with its data bytes.
template <typename Fn>
absl::Status WalkOverflow(Pager* pager, PageId first, uint64_t length, Fn fn) {
  const size_t capacity = Capacity(pager);
  LAURA_RETURN_IF_ERROR(CheckOverflowLength(pager, first, length));
  const uint64_t pages = (length + capacity - 1) / capacity;
  uint64_t left = length;
  PageId id = first;
  for (uint64_t i = 0; i < pages; ++i) {
    if (id == 0) {
      return absl::DataLossError(absl::StrCat(
          "overflow chain from page ", first, " ends after ", i, " of ", pages, " pages"));
    }
    LAURA_ASSIGN_OR_RETURN(PageRef ref, pager->Fetch(id));
    const char* page = ref.data();
    const uint32_t n = DecodeFixed32(page + 40);
    const uint64_t want = std::min<uint64_t>(capacity, left);
    if (static_cast<PageType>(page[kPageTypeOffset]) != PageType::kOverflow || n != want) {
      return absl::DataLossError(absl::StrCat(
          "overflow page ", id, " of the chain from page ", first, " is malformed"));
    }
    LAURA_RETURN_IF_ERROR(fn(id, absl::string_view(page + kOverflowDataOffset, n)));
    left -= n;
    id = DecodeFixed64(page + 32);
  }
  if (id != 0) {
    return absl::DataLossError(absl::StrCat(
        "overflow chain from page ", first, " is longer than its ", length, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PageId> WriteOverflow(Pager* pager, absl::string_view value, Lsn lsn) {
  const size_t capacity = Capacity(pager);
  // Written back to front, so each page knows its successor.
  size_t pages = (value.size() + capacity - 1) / capacity;
  PageId next = 0;
  while (pages-- > 0) {
    const size_t begin = pages * capacity;
    const size_t n = std::min(capacity, value.size() - begin);
    LAURA_ASSIGN_OR_RETURN(PageRef ref, pager->Allocate(PageType::kOverflow, lsn));
    char* page = ref.mutable_data();
    EncodeFixed64(page + 32, next);
    EncodeFixed32(page + 40, static_cast<uint32_t>(n));
    std::memcpy(page + kOverflowDataOffset, value.data() + begin, n);
    next = ref.id();
  }
  return next;
}

absl::Status EncodeLeafEntry(Pager* pager, absl::string_view key, absl::string_view value,
                             Lsn lsn, std::string* cell) {
  cell->clear();
  const uint64_t inline_size = 1 + VarintLength(key.size()) + VarintLength(value.size()) +
                               key.size() + value.size() + kSlotSize;
  if (inline_size <= MaxCellSize(pager->page_size())) {
    EncodeLeafCell(key, value, cell);
    return absl::OkStatus();
  }
  LAURA_ASSIGN_OR_RETURN(PageId first, WriteOverflow(pager, value, lsn));
  EncodeOverflowCell(key, first, value.size(), cell);
  return absl::OkStatus();
}

absl::Status ReadOverflow(Pager* pager, PageId first, uint64_t length, std::string* out) {
  out->clear();
  LAURA_RETURN_IF_ERROR(CheckOverflowLength(pager, first, length));
  out->reserve(length);
  return WalkOverflow(pager, first, length, [out](PageId, absl::string_view data) {
    out->append(data.data(), data.size());
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<PageId>> OverflowPages(Pager* pager, PageId first,
                                                  uint64_t length) {
  std::vector<PageId> ids;
  LAURA_RETURN_IF_ERROR(WalkOverflow(pager, first, length, [&ids](PageId id, auto) {
    ids.push_back(id);
    return absl::OkStatus();
  }));
  return ids;
}

}  // namespace laura
