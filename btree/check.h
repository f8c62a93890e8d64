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

#include "absl/status/statusor.h"
#include "laura/stats.h"
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

// CheckReport is public (laura/stats.h).

CheckReport CheckTree(Pager* pager, PageId root, const CheckOptions& options = {});

// Every page the tree under root reaches (its nodes and overflow chains),
// in id order; DataLoss for a page that does not parse. Backup copies
// these (engine/backup.cc).
absl::StatusOr<std::vector<PageId>> ReachablePages(Pager* pager, PageId root);

}  // namespace laura

#endif  // LAURA_BTREE_CHECK_H_
