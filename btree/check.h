// CheckTree: the structural checker (in the manner of `bbolt check`).
//
// Walks every page reachable from a root and reports each problem found,
// rather than stopping at the first:
//   - every node parses, its cells are well formed and its keys ascend;
//   - keys lie within their parent's separator bounds (lower inclusive,
//     upper exclusive), so order holds across nodes;
//   - every leaf is at the same depth; no empty leaf below the root; no
//     branch root with a single child;
//   - every page (node or overflow) is reachable once;
//   - overflow chains have the length their cell says;
//   - with verify_checksums, each page's stored checksum (read through the
//     disk manager; REQUIRES the pager flushed since the last change);
//   - with check_free_pages, no reachable page is free, parked or a free-list
//     page; with check_leaks, every page is reachable or free (valid only
//     when this tree is the file's only user and no snapshot is held).
#ifndef LAURA_BTREE_CHECK_H_
#define LAURA_BTREE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "storage/pager.h"

namespace laura {

struct CheckOptions {
  bool verify_checksums = true;
  bool check_free_pages = true;
  bool check_leaks = false;
  // Count pages parked by the pager (freed, waiting for snapshots to end)
  // as free. Turn off to check an older snapshot's tree, which reaches
  // exactly such pages.
  bool parked_pages_are_free = true;
  // Stop collecting after this many problems.
  size_t max_problems = 100;
};

struct CheckReport {
  std::vector<std::string> problems;
  uint64_t depth = 0;  // levels; 0 for the empty tree
  uint64_t entries = 0;
  uint64_t leaf_pages = 0;
  uint64_t branch_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t used_bytes = 0;  // bytes of cells and slots in nodes

  bool ok() const { return problems.empty(); }
  // Problems, one per line ("OK" if none).
  std::string ToString() const;
};

CheckReport CheckTree(Pager* pager, PageId root, const CheckOptions& options = {});

}  // namespace laura

#endif  // LAURA_BTREE_CHECK_H_
