// BulkLoader: builds a B+tree bottom-up from entries sorted by key.
//
// Leaves are filled left to right to fill_factor of their space; each
// finished node hands its first key's separator and page id to the level
// above, which fills the same way; Finish closes every level and returns
// the root. Nothing is read back, so a load writes each page once, under
// the sequential access hint (restored to random at Finish).
//
// The pages belong to the pager's current write batch: hand the root to
// BTree::ReplaceRoot and Commit, or Abort to discard them.
#ifndef LAURA_BTREE_BULK_LOAD_H_
#define LAURA_BTREE_BULK_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "btree/node.h"
#include "storage/pager.h"

namespace laura {

struct BulkLoadOptions {
  // Fraction of each node's space to fill, in [0.1, 1.0]. Full nodes suit a
  // tree mostly read or appended to; leave room if random inserts follow.
  // Default: 1.0.
  double fill_factor = 1.0;
};

class BulkLoader {
 public:
  // Loads into pages of pager's write batch, stamped with lsn.
  BulkLoader(Pager* pager, Lsn lsn, const BulkLoadOptions& options = {});
  ~BulkLoader();

  // Appends an entry. InvalidArgument naming the entry's position (from 1)
  // if the key is not above the previous one, too large, or the value too
  // large; the loader then refuses further calls.
  absl::Status Add(absl::string_view key, absl::string_view value);
  // Closes the tree; its root (0 if no entry was added).
  absl::StatusOr<PageId> Finish();

  uint64_t count() const { return count_; }

 private:
  struct Level {
    PageRef node;           // the node being filled (pinned), if any
    std::string separator;  // separator of the node's first child or key
    size_t used = 0;        // bytes of cells and slots in node
    int count = 0;          // cells in node
    uint64_t nodes = 0;     // nodes started on this level
  };

  // Adds child (whose keys start at separator) to branch level `level`,
  // starting a new node when the current one is full.
  absl::Status AddChild(size_t level, std::string separator, ChildRef child);
  absl::Status StartNode(size_t level, std::string separator, ChildRef leftmost);
  absl::Status AppendCell(Level& level, absl::string_view cell);
  // Hands level's current node up as (separator, id).
  absl::Status CloseNode(size_t level);

  Pager* const pager_;
  const Lsn lsn_;
  const size_t fill_limit_;  // bytes of cells and slots per node
  std::vector<Level> levels_;
  std::string last_key_;
  std::string cell_;
  uint64_t count_ = 0;
  absl::Status failed_;
  bool finished_ = false;
};

}  // namespace laura

#endif  // LAURA_BTREE_BULK_LOAD_H_
