// CellList: node cells copied out of their pages, for rewriting nodes in
// place (a split, sharing cells with a neighbour, a merge). All cells live
// in one buffer and are addressed by offset, so gathering the cells of two
// nodes costs a couple of allocations, not one string per cell, and an
// insert in the middle moves no bytes (only the list of spans).
#ifndef LAURA_BTREE_CELL_LIST_H_
#define LAURA_BTREE_CELL_LIST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace laura {

class CellList {
 public:
  size_t size() const { return spans_.size(); }
  // Valid until the next Append or Insert.
  absl::string_view operator[](size_t i) const {
    return absl::string_view(bytes_.data() + spans_[i].offset, spans_[i].length);
  }
  // Adds cell at the end.
  void Append(absl::string_view cell) { Insert(spans_.size(), cell); }
  // Adds cell before cell `index` (index <= size()).
  void Insert(size_t index, absl::string_view cell) {
    spans_.insert(spans_.begin() + static_cast<std::ptrdiff_t>(index),
                  Span{bytes_.size(), cell.size()});
    bytes_.append(cell.data(), cell.size());
  }
  // Room for `cells` cells of `bytes` bytes in all.
  void Reserve(size_t cells, size_t bytes) {
    spans_.reserve(cells);
    bytes_.reserve(bytes);
  }

 private:
  struct Span {
    size_t offset;
    size_t length;
  };
  std::string bytes_;
  std::vector<Span> spans_;
};

}  // namespace laura

#endif  // LAURA_BTREE_CELL_LIST_H_
